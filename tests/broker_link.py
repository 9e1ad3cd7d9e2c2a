"""A TCP relay between the console and the test RabbitMQ that a test can cut and restore."""

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class Relay:
    """Forward a local port to `target`; `cut()` refuses and drops connections, `restore()`
    listens again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.stalls = 0
        self.restore()

    def restore(self) -> None:
        """Listen again on the same port (a new one the first time)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening (new connections are refused) and drop every open connection."""
        listener, self.listener = self.listener, None
        if listener:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (Linux)
            listener.close()
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def stall_next(self, count: int = 1) -> None:
        """The next `count` connections are accepted and never answered (a broker too busy)."""
        self.stalls = count

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self.lock:
                stalled, self.stalls = self.stalls > 0, max(self.stalls - 1, 0)
                if stalled:
                    self.connections.append(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


class BrokerLink:
    """Relays for AMQP and the management API; `url()` rewrites a broker URL through them."""

    def __init__(self, amqp_url: str, management_url: str):
        self.urls = {"amqp": amqp_url, "management": management_url}
        self.relays = {
            name: Relay((urlsplit(url).hostname, urlsplit(url).port))
            for name, url in self.urls.items()
        }

    def url(self, name: str) -> str:
        """The URL `name` through its relay (same credentials and path)."""
        parts = urlsplit(self.urls[name])
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self.relays[name].port}" if credentials else (
            f"127.0.0.1:{self.relays[name].port}")
        return urlunsplit(parts._replace(netloc=netloc))

    def cut(self) -> None:
        """The broker becomes unreachable for whoever uses the relays."""
        for relay in self.relays.values():
            relay.cut()

    def restore(self) -> None:
        """The broker is reachable again."""
        for relay in self.relays.values():
            relay.restore()
