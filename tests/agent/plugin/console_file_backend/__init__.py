"""A waldur-site-agent backend for tests: MockBackend holding what a JSON file says."""
