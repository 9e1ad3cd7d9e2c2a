"""The OpenAPI 3.1 document of the whole API, served at `/api/schema/` (public, like upstream's).

Built from small helpers: the JSON shapes first (one per function in representations.py), then
the operations path by path. tests/api/test_schema.py checks that every route of the `api`
blueprint is described here, and the suite validates every API response it receives against it.
"""

from functools import cache

from flask import current_app

from console.api import bp
from console.api.representations import BILLING_UNITS
from console.api.responses import json_response
from console.api.routing import refuse_other_methods
from console.models import OFFERING_STATES, SCAN_STATES
from console.services.agents import OBSERVABLE_OBJECT_TYPES, SERVICE_STATES
from console.services.marketplace_filters import ORDER_STATES, ORDER_TYPES, RESOURCE_STATES
from console.services.metadata_filters import METADATA_PATTERN
from console.services.queries import ORDERING_CHOICES
from console.services.scans import ORDERING_CHOICES as SCAN_ORDERING_CHOICES

OPENAPI_VERSION = "3.1.0"
TITLE = "Backend Resource Console API"

# ---------------------------------------------------------------------------------------------
# JSON Schema helpers

STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
INTEGER = {"type": "integer"}
OBJECT = {"type": "object"}
ARRAY = {"type": "array"}
UUID_HEX = {"type": "string", "pattern": "^[0-9a-f]{32}$",
            "description": "A UUID as 32 lowercase hex characters."}
DATETIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC, ending in Z."}
URL = {"type": "string", "format": "uri"}
# Text without NUL characters: PostgreSQL cannot store or compare them, so they are refused.
TEXT = {"type": "string", "pattern": "^[^\\x00]*$"}
_UUID_RE = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
# Accepted in a path or a body: hex or hyphenated, any case, surrounding spaces ignored.
UUID_INPUT = {"type": "string", "pattern": f"^\\s*{_UUID_RE}\\s*$",
              "description": "A UUID, 32 hex characters or hyphenated."}
# A UUID filter: hex or hyphenated, surrounding spaces ignored; blank means no filter.
UUID_FILTER = {"type": "string", "pattern": f"^\\s*({_UUID_RE}\\s*)?$",
               "description": "A UUID, hex or hyphenated; blank: no filter."}
# Repeatable UUID filter: each value may also hold several, comma-separated.
UUID_LIST_FILTER = {"type": "string",
                    "pattern": f"^[\\s,]*({_UUID_RE}\\s*(,[\\s,]*{_UUID_RE}\\s*)*)?[\\s,]*$",
                    "description": "UUIDs, comma-separated; blank: no filter."}
# A date or date-time filter or field; blank means none.
DATE_OR_DATETIME = {"anyOf": [{"type": "string", "format": "date-time"},
                              {"type": "string", "format": "date"},
                              {"const": ""}]}


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: dict) -> dict:
    """An array of items."""
    return {"type": "array", "items": items}


def enum(values, base: dict = STRING) -> dict:
    """One of the values."""
    return {**base, "enum": list(values)}


def body(required: dict, optional: dict | None = None, *, description: str = "") -> dict:
    """A response object: the keys in `required` always come, those in `optional` may; no others."""
    schema = {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def field_restricted(name: str) -> dict:
    """A body that `?field=` may cut down to the keys it names (then none is required)."""
    return {
        "anyOf": [ref(name), ref(f"{name}Fields")],
        "description": f"A {name}; with `field` parameters, only the keys they name.",
    }


def fields_variant(schema: dict) -> dict:
    """The same object with no key required: what `?field=` leaves of it."""
    return {key: value for key, value in schema.items() if key != "required"}


# ---------------------------------------------------------------------------------------------
# Response bodies, key for key as console/api/*representations.py emit them


def backend_resource_schema() -> dict:
    return body({
        "url": URL, "uuid": UUID_HEX, "name": STRING, "created": DATETIME, "modified": DATETIME,
        "project": UUID_HEX, "project_name": STRING, "project_url": URL,
        "offering": UUID_HEX, "offering_name": STRING, "offering_url": URL,
        "backend_id": STRING, "backend_metadata": OBJECT,
    }, description="What a site agent reported (Waldur's BackendResource).")


def project_schema() -> dict:
    return body({
        "url": URL, "uuid": UUID_HEX, "name": STRING, "slug": STRING,
        "customer_uuid": UUID_HEX, "customer_name": STRING, "customer_slug": STRING,
        "description": STRING, "created": DATETIME, "backend_id": STRING,
        "start_date": nullable(STRING), "end_date": nullable(STRING), "is_removed": BOOLEAN,
    })


def plan_schema() -> dict:
    return body(
        {"url": URL, "uuid": UUID_HEX, "name": STRING, "description": STRING,
         "archived": BOOLEAN, "is_active": BOOLEAN, "backend_id": STRING},
        {"unit": enum(sorted(BILLING_UNITS))},
    )


def public_offering_schema() -> dict:
    return body(
        {"url": URL, "uuid": UUID_HEX, "created": DATETIME, "name": STRING, "slug": STRING,
         "description": STRING, "customer_uuid": UUID_HEX, "customer_name": STRING,
         "attributes": OBJECT, "components": ARRAY, "type": STRING, "shared": BOOLEAN,
         "billable": BOOLEAN, "backend_id": STRING, "plans": array(ref("Plan"))},
        {"state": enum(OFFERING_STATES)},
    )


def offering_keys() -> tuple[dict, dict]:
    """The offering, provider and plan keys that resources and orders share."""
    required = {
        "offering": URL, "offering_name": STRING, "offering_uuid": UUID_HEX,
        "offering_description": STRING, "offering_image": nullable(URL),
        "offering_thumbnail": nullable(URL), "offering_type": STRING,
        "offering_shared": BOOLEAN, "offering_billable": BOOLEAN,
        "offering_plugin_options": OBJECT, "provider_name": STRING, "provider_uuid": UUID_HEX,
        "provider_slug": STRING, "provider_description": STRING, "category_title": STRING,
        "category_icon": nullable(URL), "plan": nullable(URL),
    }
    with_plan = {"plan_unit": STRING, "plan_name": STRING, "plan_uuid": UUID_HEX,
                 "plan_description": STRING}
    return required, with_plan


def order_schema() -> dict:
    required, optional = offering_keys()
    required.update({
        "attributes": OBJECT, "limits": OBJECT, "uuid": UUID_HEX, "created": DATETIME,
        "modified": DATETIME, "resource_uuid": nullable(UUID_HEX),
        "resource_type": nullable(STRING), "resource_name": STRING,
        "resource_end_date": nullable(STRING), "cost": nullable(STRING), "output": STRING,
        "output_updated_at": nullable(DATETIME), "marketplace_resource_uuid": UUID_HEX,
        "error_message": STRING, "error_updated_at": nullable(DATETIME),
        "callback_url": nullable(URL), "completed_at": nullable(DATETIME),
        "request_comment": nullable(STRING), "attachment": nullable(URL),
        "start_date": nullable(STRING), "slug": STRING, "url": URL,
        "consumer_reviewed_by": nullable(STRING),
        "consumer_reviewed_by_full_name": nullable(STRING),
        "consumer_reviewed_by_username": nullable(STRING),
        "consumer_reviewed_at": nullable(DATETIME),
        "provider_reviewed_by": nullable(STRING),
        "provider_reviewed_by_full_name": nullable(STRING),
        "provider_reviewed_by_username": nullable(STRING),
        "provider_reviewed_at": nullable(DATETIME),
        "created_by_username": STRING, "created_by_full_name": STRING,
        "customer_name": STRING, "customer_uuid": UUID_HEX, "customer_slug": STRING,
        "project_name": STRING, "project_uuid": UUID_HEX, "project_description": STRING,
        "project_slug": STRING, "can_terminate": BOOLEAN, "backend_id": STRING,
    })
    optional.update({
        "state": enum(ORDER_STATES), "type": enum(ORDER_TYPES),
        "error_traceback": {**STRING, "description": "Staff and support only."},
    })
    return body(required, optional, description="An order (Waldur's OrderDetails).")


def marketplace_resource_schema() -> dict:
    required, optional = offering_keys()
    required.update({
        "attributes": OBJECT, "limits": OBJECT, "uuid": UUID_HEX, "created": DATETIME,
        "modified": DATETIME, "url": URL, "scope": nullable(URL), "description": STRING,
        "resource_uuid": nullable(UUID_HEX), "backend_id": STRING, "effective_id": STRING,
        "resource_type": nullable(STRING), "project": URL, "project_uuid": UUID_HEX,
        "project_name": STRING, "project_description": STRING,
        "project_start_date": nullable(STRING), "project_end_date": nullable(STRING),
        "project_effective_end_date": nullable(STRING),
        "resource_effective_end_date": nullable(STRING),
        "project_is_in_grace_period": BOOLEAN,
        "project_end_date_requested_by": nullable(URL), "customer_uuid": UUID_HEX,
        "customer_name": STRING, "offering_slug": STRING, "offering_backend_id": STRING,
        "backend_metadata": OBJECT, "is_usage_based": BOOLEAN, "is_limit_based": BOOLEAN,
        "name": STRING, "slug": STRING, "current_usages": OBJECT, "can_terminate": BOOLEAN,
        "report": nullable(ARRAY), "end_date": nullable(STRING),
        "end_date_requested_by": nullable(URL), "end_date_updated_at": nullable(DATETIME),
        "username": nullable(STRING), "limit_usage": OBJECT, "downscaled": BOOLEAN,
        "restrict_member_access": BOOLEAN, "paused": BOOLEAN,
        "usage_limit_restriction": STRING, "endpoints": ARRAY, "error_message": STRING,
        "options": nullable(OBJECT), "available_actions": array(STRING),
        "last_sync": DATETIME, "order_in_progress": nullable(OBJECT),
        "creation_order": nullable(ref("Order")), "project_slug": STRING,
        "customer_slug": STRING, "user_requires_reconsent": BOOLEAN,
        "renewal_date": nullable(STRING), "offering_components": ARRAY,
        "has_api_keys": BOOLEAN, "offering_account_settings": OBJECT,
    })
    optional.update({
        "state": enum(RESOURCE_STATES), "offering_state": enum(OFFERING_STATES),
        "error_traceback": {**STRING, "description": "Staff and support only."},
    })
    return body(required, optional,
                description="A marketplace resource (Waldur's Resource), with its creation order.")


def provider_offering_schema() -> dict:
    return body(
        {"url": URL, "uuid": UUID_HEX, "created": DATETIME, "name": STRING, "slug": STRING,
         "description": STRING, "full_description": STRING, "access_url": STRING,
         "endpoints": ARRAY, "partitions": ARRAY, "customer_uuid": UUID_HEX,
         "customer_name": STRING, "category_title": STRING, "attributes": OBJECT,
         "components": ARRAY, "plugin_options": OBJECT, "thumbnail": nullable(URL),
         "plans": array(ref("Plan")), "screenshots": ARRAY, "type": STRING,
         "shared": BOOLEAN, "billable": BOOLEAN, "backend_id": STRING, "image": nullable(URL)},
        {"state": enum(OFFERING_STATES)},
        description="An offering as its managers see it (Waldur's ProviderOfferingDetails).",
    )


def service_provider_schema() -> dict:
    return body({
        "url": URL, "uuid": UUID_HEX, "description": STRING, "enable_notifications": BOOLEAN,
        "customer_name": STRING, "customer_uuid": UUID_HEX, "customer_image": nullable(URL),
        "customer_abbreviation": STRING, "customer_slug": STRING,
        "customer_native_name": STRING, "customer_country": STRING, "image": nullable(URL),
        "organization_groups": ARRAY, "offering_count": INTEGER, "allowed_domains": ARRAY,
    }, description="A customer that owns offerings; its uuid is a UUID5 of the customer's.")


def user_schema() -> dict:
    permission = body({
        "role_name": STRING, "scope_type": enum(["offering", "customer"]),
        "scope_uuid": UUID_HEX, "scope_name": STRING, "customer_uuid": UUID_HEX,
        "customer_name": STRING, "expiration_time": nullable(DATETIME),
    })
    return body({
        "url": URL, "uuid": UUID_HEX, "username": STRING, "full_name": STRING,
        "native_name": STRING, "email": STRING, "is_staff": BOOLEAN, "is_active": BOOLEAN,
        "is_support": BOOLEAN, "date_joined": DATETIME, "permissions": array(permission),
        "first_name": STRING, "last_name": STRING,
    }, description="An account with its active roles.")


def scan_request_schema() -> dict:
    return body({
        "url": URL, "uuid": UUID_HEX, "created": DATETIME, "modified": DATETIME,
        "started": nullable(DATETIME), "finished": nullable(DATETIME),
        "state": enum(SCAN_STATES), "offering": UUID_HEX, "offering_name": STRING,
        "offering_url": URL, "error_message": STRING, "error_traceback": STRING,
    }, description="A scan request (Waldur's BackendResourceReq).")


def agent_processor_schema(*, nested: bool) -> dict:
    keys = {"uuid": UUID_HEX, "url": URL}
    if not nested:
        keys.update(service=UUID_HEX, service_name=STRING)
    keys.update(name=STRING, backend_type=STRING, created=DATETIME, modified=DATETIME,
                last_run=nullable(DATETIME), backend_version=nullable(STRING))
    return body(keys)


def agent_service_schema(*, nested: bool) -> dict:
    keys = {"uuid": UUID_HEX, "url": URL}
    if not nested:
        keys.update(identity=UUID_HEX, identity_name=STRING)
    keys.update(name=STRING, state=enum(SERVICE_STATES), created=DATETIME, modified=DATETIME,
                mode=nullable(STRING), statistics=OBJECT)
    if not nested:
        keys["processors"] = array(ref("AgentProcessorNested"))
    return body(keys)


def agent_identity_schema() -> dict:
    return body(
        {"uuid": UUID_HEX, "url": URL, "offering": UUID_HEX, "created_by": nullable(UUID_HEX),
         "name": STRING, "created": DATETIME, "modified": DATETIME,
         "services": array(ref("AgentServiceNested")),
         "compatibility": body({"status": enum(["compatible", "unknown"]), "message": STRING}),
         "version": nullable(STRING),
         "dependencies": array(body({"package": STRING, "version": STRING})),
         "config_file_path": nullable(STRING), "config_file_content": nullable(STRING)},
        {"last_restarted": DATETIME},
        description="A site agent's identity with its services (Waldur's AgentIdentity).",
    )


def error_schemas() -> dict:
    return {
        "Detail": body({"detail": STRING}, description="An error: `{\"detail\": \"...\"}`."),
        "ValidationError": {
            "description": "Refused input: messages by field name (`non_field_errors` for the "
                           "body as a whole), or a list of messages.",
            "anyOf": [
                {"type": "object",
                 "additionalProperties": {"anyOf": [STRING, array(STRING)]}},
                array(STRING),
            ],
        },
    }


def component_schemas() -> dict:
    schemas = {
        "BackendResource": backend_resource_schema(),
        "Project": project_schema(),
        "Plan": plan_schema(),
        "PublicOffering": public_offering_schema(),
        "Order": order_schema(),
        "MarketplaceResource": marketplace_resource_schema(),
        "ProviderOffering": provider_offering_schema(),
        "ServiceProvider": service_provider_schema(),
        "User": user_schema(),
        "BackendResourceRequest": scan_request_schema(),
        "AgentIdentity": agent_identity_schema(),
        "AgentService": agent_service_schema(nested=False),
        "AgentServiceNested": agent_service_schema(nested=True),
        "AgentProcessor": agent_processor_schema(nested=False),
        "AgentProcessorNested": agent_processor_schema(nested=True),
        "QueueRegistration": body({
            "rmq_username": STRING, "queue_name": STRING, "vhost": STRING,
            "observable_object_types": array(enum(OBSERVABLE_OBJECT_TYPES)),
        }, description="How the agent logs in to RabbitMQ (STOMP) and which queue it reads."),
        "Status": body({"status": STRING}),
        "Version": body({"version": STRING}),
        **error_schemas(),
    }
    for name in ("ProviderOffering", "ServiceProvider", "MarketplaceResource", "User"):
        schemas[f"{name}Fields"] = fields_variant(schemas[name])
    return schemas


# ---------------------------------------------------------------------------------------------
# Request bodies


def request_body(schema: dict, *, required: bool = True) -> dict:
    """A JSON request body (forms are read too, as DRF does; JSON is what agents send)."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def request_object(properties: dict, required=()) -> dict:
    """A request object; unknown keys are ignored, as DRF's serializers ignore them."""
    return {"type": "object", "properties": properties, "required": list(required)}


def backend_resource_create_body() -> dict:
    # Like DRF's CharField, a number is read as its text.
    return request_body(request_object({
        "name": {**TEXT, "type": ["string", "number"], "minLength": 1, "maxLength": 150,
                 "pattern": "^[^\\x00]*\\S[^\\x00]*$", "description": "Trimmed; may not be blank."},
        "project": UUID_INPUT,
        "offering": UUID_INPUT,
        "backend_id": {**TEXT, "type": ["string", "number"], "maxLength": 255},
        "backend_metadata": {**OBJECT, "description": "Any JSON object; `limits` in it become "
                                                      "the imported resource's limits."},
    }, required=("name", "project", "offering")))


def import_body() -> dict:
    return request_body(request_object({
        "plan": {**UUID_INPUT, "description": "A non-archived plan of the report's offering; "
                                             "required for shared offerings."},
    }), required=False)


def scan_request_create_body() -> dict:
    return request_body(request_object({"offering": UUID_INPUT}, required=("offering",)))


def set_erred_body() -> dict:
    return request_body(request_object({
        "error_message": nullable(TEXT), "error_traceback": nullable(TEXT),
    }), required=False)


def agent_identity_body() -> dict:
    optional_text = nullable({**TEXT, "maxLength": 100})
    return request_body(request_object({
        "offering": UUID_INPUT,
        "name": {**TEXT, "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00]*\\S[^\\x00]*$"},
        "version": optional_text,
        "dependencies": nullable(array(request_object(
            {"package": STRING, "version": STRING}, required=("package", "version")))),
        "config_file_path": nullable(TEXT),
        "config_file_content": nullable(TEXT),
        "last_restarted": nullable(DATE_OR_DATETIME),
    }, required=("offering", "name")))


def register_queue_body() -> dict:
    return request_body(request_object({
        "object_types": {**array(enum(OBSERVABLE_OBJECT_TYPES)),
                         "description": "Event types to receive; none or empty: all of them."},
    }), required=False)


def register_service_body() -> dict:
    return request_body(request_object({
        "name": {**TEXT, "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00]*\\S[^\\x00]*$"},
        "mode": nullable({**TEXT, "maxLength": 100}),
    }, required=("name",)))


def register_processor_body() -> dict:
    name = {**TEXT, "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00]*\\S[^\\x00]*$"}
    return request_body(request_object({
        "name": name,
        "backend_type": name,
        "backend_version": nullable({**TEXT, "maxLength": 255}),
    }, required=("name", "backend_type")))


# ---------------------------------------------------------------------------------------------
# Parameters, headers and responses


def query(name: str, schema: dict, description: str, *, repeatable: bool = False) -> dict:
    """A query parameter; a repeatable one may be given several times."""
    if repeatable:
        return {"name": name, "in": "query", "description": description,
                "schema": array(schema), "style": "form", "explode": True}
    return {"name": name, "in": "query", "description": description, "schema": schema}


def path_uuid(name: str = "uuid") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": UUID_INPUT}


FILTER_TEXT = {**TEXT, "description": "Trimmed; blank means no filter."}
PAGING = [
    query("page", {"anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["last", ""]}]},
          "Page number, or `last`; blank: the first; out of range: 404 `Invalid page.`"),
    query("page_size", {**STRING, "examples": ["50"]},
          "Rows per page, a number (default 10, at most 300); any other value means the "
          "default."),
]
FIELD = query("field", STRING, "Keep only the keys named (repeatable); unknown names are "
              "ignored.", repeatable=True)


def date_filters(*names: str) -> list[dict]:
    """Date filters: `x` on or after, `x_before` on or before (a plain date: its whole day)."""
    return [
        query(name, DATE_OR_DATETIME, "ISO 8601 date or date-time, any offset; "
              + ("on or before (a plain date covers its day)." if name.endswith("_before")
                 else "on or after."))
        for name in names
    ]


LIST_HEADERS = {
    "X-Result-Count": {"description": "How many rows the whole list has.",
                       "schema": {"type": "string", "pattern": "^[0-9]+$"}, "required": True},
    "Link": {"description": "`<url>; rel=\"first\"`, `prev`, `next` and `last`, comma-separated.",
             "schema": STRING, "required": True},
}
LOCATION = {"Location": {"description": "The new object's URL.", "schema": URL,
                         "required": True}}


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def ok(schema: dict, description: str = "OK", *, status: str = "200",
       headers: dict | None = None) -> dict:
    response = {"description": description, "content": json_content(schema)}
    if headers:
        response["headers"] = headers
    return {status: response}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def error(status: int, description: str) -> dict:
    """A `{"detail": ...}` error response."""
    response = {"description": description, "content": json_content(ref("Detail"))}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"const": "Token"},
                                                    "required": True}}
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return {str(status): response}


BAD_REQUEST = {"400": {"description": "Refused input: field errors, or `detail` for a body "
                                      "that is not JSON.",
                       "content": json_content({"anyOf": [ref("ValidationError"),
                                                          ref("Detail")]})}}
UNAUTHORIZED = error(401, "No valid token: `Authentication credentials were not provided.`, "
                          "`Invalid token.`, `User inactive or deleted.`, ...")
# What any operation may answer, whatever it does: refused query values or Host (400), a token
# refused too often from this address (429), the database unavailable (503).
ANY_OPERATION = {
    **BAD_REQUEST,
    **UNAUTHORIZED,
    **error(429, "Too many refused tokens from this address: "
                 "`Request was throttled. Expected available in N seconds.`"),
    **error(503, "The database is unavailable (or, for register_queue, the broker)."),
}
BODY_METHODS = ("post", "put", "patch", "delete")


def operation(operation_id: str, tag: str, summary: str, responses: dict, *,
              parameters=(), request=None, description: str = "") -> dict:
    """One operation, with the answers any operation may give (ANY_OPERATION)."""
    result = {"operationId": operation_id, "tags": [tag], "summary": summary,
              "parameters": list(parameters), "responses": {**ANY_OPERATION, **responses}}
    if description:
        result["description"] = description
    if request is not None:
        result["requestBody"] = request
        result["responses"].update(error(415, "The body is neither JSON nor a form."))
    return result


def list_operation(operation_id: str, tag: str, summary: str, item: dict, *,
                   filters=(), paged: bool = True, description: str = "") -> dict:
    """A list: a plain JSON array, paged with X-Result-Count and Link headers."""
    responses = ok(array(item), "One page of the list.",
                   headers=LIST_HEADERS if paged else None)
    responses.update(BAD_REQUEST)
    if paged:
        responses.update(error(404, "`Invalid page.`"))
    return operation(operation_id, tag, summary, responses,
                     parameters=[*filters, *(PAGING if paged else [])],
                     description=description)


def head_operation(operation_id: str, tag: str, summary: str, *, filters=()) -> dict:
    """HEAD of a list: the headers of GET, without a body."""
    responses = {"200": {"description": "The list's headers, no body.", "headers": LIST_HEADERS}}
    responses.update({
        "400": {"description": "Refused filters (no body)."},
        "404": {"description": "`Invalid page.` (no body)."},
        "401": {"description": "No valid token (no body)."},
        "429": {"description": "Too many refused tokens (no body).", "headers": RETRY_AFTER},
        "503": {"description": "The database is unavailable (no body).", "headers": RETRY_AFTER},
    })
    return {"operationId": operation_id, "tags": [tag], "summary": summary,
            "parameters": [*filters, *PAGING], "responses": responses}


def detail_operation(operation_id: str, tag: str, summary: str, item: dict, *,
                     parameters=(), description: str = "") -> dict:
    """One object by uuid; 404 when it does not exist or the caller may not see it."""
    responses = ok(item)
    responses.update(error(404, "No such object, or not visible to the caller."))
    return operation(operation_id, tag, summary, responses, parameters=parameters,
                     description=description)


# ---------------------------------------------------------------------------------------------
# The paths


def ordering_schema(max_sort_keys: int) -> dict:
    """`o` of the backend resource list: known keys, comma-separated, blank parts ignored."""
    key = "-?(" + "|".join(ORDERING_CHOICES[::2]) + ")"
    more = f"(,[\\s,]*{key}\\s*){{0,{max_sort_keys - 1}}}"
    return {"type": "string", "pattern": f"^[\\s,]*({key}\\s*{more})?[\\s,]*$"}


def backend_resource_paths(max_sort_keys: int) -> dict:
    tag = "backend-resources"
    filters = [
        query("name", FILTER_TEXT, "Name contains, any case."),
        query("name_exact", FILTER_TEXT, "Name is exactly."),
        query("backend_id", FILTER_TEXT, "Backend id is exactly."),
        query("offering_uuid", UUID_FILTER, "Of this offering."),
        query("project_uuid", UUID_FILTER, "Of this project."),
        *date_filters("created", "created_before", "modified", "modified_before"),
        query("metadata", {**STRING, "pattern": METADATA_PATTERN},
              "Conditions on `backend_metadata`, separated by `;` (at most 10): "
              "`partition=gpu`, `partition!=gpu`, `limits.cpu>10000` (also `>=`, `<`, `<=` "
              "on numbers); a path has one to three dot-separated keys; blank: no filter. A "
              "console extension; "
              "the console's `flag` and `dismissed` are not read here (dismissed reports are "
              "listed). Unreadable conditions: 400 `{\"metadata\": [\"...\"]}`."),
        query("o", ordering_schema(max_sort_keys),
              f"At most {max_sort_keys} comma-separated sort keys, each optionally prefixed "
              "with `-`: " + ", ".join(ORDERING_CHOICES[::2]) + "; default `-created`."),
    ]
    created = ok(ref("BackendResource"), "The report.", status="201", headers=LOCATION)
    created.update(error(403, "The caller does not manage the offering."))
    imported = ok(ref("MarketplaceResource"), "The new marketplace resource.", status="201")
    imported.update(error(403, "Staff only."))
    imported.update(error(404, "No such report (imported or deleted meanwhile)."))
    deleted = {"204": {"description": "Deleted."}}
    deleted.update(error(403, "Visible, but the caller does not manage its offering."))
    deleted.update(error(404, "No such report, or not visible to the caller."))
    return {
        "/api/backend-resources/": {
            "get": list_operation("backend_resources_list", tag,
                                  "List the reports the caller may see.",
                                  ref("BackendResource"), filters=filters),
            "head": head_operation("backend_resources_count", tag,
                                   "Count the reports (X-Result-Count) without a body.",
                                   filters=filters),
            "post": operation("backend_resources_create", tag,
                              "Report a backend resource (its offering's managers and staff).",
                              created, request=backend_resource_create_body()),
        },
        "/api/backend-resources/{uuid}/": {
            "get": detail_operation("backend_resources_retrieve", tag, "Show a report.",
                                    ref("BackendResource"), parameters=[path_uuid()]),
            "delete": operation("backend_resources_destroy", tag,
                                "Delete a report (the agent may report it again).", deleted,
                                parameters=[path_uuid()]),
        },
        "/api/backend-resources/{uuid}/import_resource/": {
            "post": operation(
                "backend_resources_import_resource", tag,
                "Staff: import the report as an OK marketplace resource with a done Create order.",
                imported, parameters=[path_uuid()], request=import_body(),
                description="400 when the plan is unknown, archived, of another offering or "
                            "missing for a shared offering, or when the offering already has "
                            "an OK resource with this backend id."),
        },
    }


def scan_request_paths() -> dict:
    tag = "backend-resource-requests"
    filters = [
        query("offering_uuid", UUID_FILTER, "Of this offering."),
        query("state", enum(SCAN_STATES), "Any of these states.", repeatable=True),
        *date_filters("started", "finished", "created", "created_before", "modified",
                      "modified_before"),
        query("o", {"type": "string", "pattern": "^\\s*(-?created)?\\s*$"},
              "Ordering: " + " or ".join(SCAN_ORDERING_CHOICES) + "; default `-created`."),
    ]
    created = ok(ref("BackendResourceRequest"), "Recorded in state Sent; delivered to the "
                 "offering's agents if a broker is configured.", status="201", headers=LOCATION)
    created.update(error(403, "Staff only."))
    paths = {
        "/api/backend-resource-requests/": {
            "get": list_operation("backend_resource_requests_list", tag,
                                  "List the scan requests the caller may see.",
                                  ref("BackendResourceRequest"), filters=filters),
            "head": head_operation("backend_resource_requests_count", tag,
                                   "Count the scan requests without a body.", filters=filters),
            "post": operation("backend_resource_requests_create", tag,
                              "Staff: ask the offering's agents to scan their backend.",
                              created, request=scan_request_create_body()),
        },
        "/api/backend-resource-requests/{uuid}/": {
            "get": detail_operation("backend_resource_requests_retrieve", tag,
                                    "Show a scan request.", ref("BackendResourceRequest"),
                                    parameters=[path_uuid()]),
        },
    }
    moves = {
        "start_processing": ("Sent -> Processing.", "Sent", None),
        "set_done": ("Processing -> Done.", "Processing", None),
        "set_erred": ("Any state -> Erred, with the agent's error.", None, set_erred_body()),
    }
    for action, (summary, source, request) in moves.items():
        responses = ok(ref("Status"), "The new state, in words.")
        responses.update(error(403, "Neither staff nor a manager of the offering."))
        responses.update(error(404, "No such scan request, or not visible to the caller."))
        if source:
            responses.update(error(409, f"`Valid states for operation: {source}.`"))
        else:
            responses.update(BAD_REQUEST)
        paths[f"/api/backend-resource-requests/{{uuid}}/{action}/"] = {
            "post": operation(f"backend_resource_requests_{action}", tag, summary, responses,
                              parameters=[path_uuid()], request=request),
        }
    return paths


def agent_paths() -> dict:
    tag = "site-agents"
    identities = "/api/marketplace-site-agent-identities/"
    refused = error(403, "The caller does not manage the offering.")
    created = ok(ref("AgentIdentity"), "Registered.", status="201", headers=LOCATION)
    created.update(refused)
    updated = ok(ref("AgentIdentity"), "Updated.")
    updated.update({**refused, **error(404, "No such identity, or not visible.")})
    queue = ok(ref("QueueRegistration"), "The queue and broker login exist.")
    queue.update({**refused, **error(404, "No such identity, or not visible."),
                  **error(503, "No broker configured, or the broker cannot be reached.")})

    def get_or_create(schema_name: str, what: str) -> dict:
        responses = ok(ref(schema_name), f"The existing {what} of that name.")
        responses.update(ok(ref(schema_name), f"A new {what}.", status="201"))
        responses.update({**refused, **error(404, "Not found, or not visible.")})
        return responses

    return {
        identities: {
            "get": list_operation(
                "marketplace_site_agent_identities_list", tag,
                "List the identities of the offerings the caller manages (all for staff).",
                ref("AgentIdentity"), filters=[
                    query("name", FILTER_TEXT, "Name is exactly."),
                    query("offering_uuid", UUID_FILTER, "Of this offering."),
                ]),
            "post": operation("marketplace_site_agent_identities_create", tag,
                              "Register an agent identity for an offering the caller manages.",
                              created, request=agent_identity_body()),
        },
        identities + "{uuid}/": {
            "get": detail_operation("marketplace_site_agent_identities_retrieve", tag,
                                    "Show an identity with its services.",
                                    ref("AgentIdentity"), parameters=[path_uuid()]),
            "put": operation("marketplace_site_agent_identities_update", tag,
                             "Replace an identity's fields (the agent does at every start).",
                             updated, parameters=[path_uuid()], request=agent_identity_body()),
        },
        identities + "{uuid}/register_queue/": {
            "post": operation(
                "marketplace_site_agent_identities_register_queue", tag,
                "Provision the agent's RabbitMQ user, vhost, rights and queue.", queue,
                parameters=[path_uuid()], request=register_queue_body(),
                description="The broker password is the API token of this request. Answers "
                            "503 when the console has no broker configured "
                            "(CONSOLE_BROKER_URL, CONSOLE_BROKER_MANAGEMENT_URL)."),
        },
        identities + "{uuid}/register_service/": {
            "post": operation("marketplace_site_agent_identities_register_service", tag,
                              "Get or create the identity's service of that name.",
                              get_or_create("AgentService", "service"),
                              parameters=[path_uuid()], request=register_service_body()),
        },
        "/api/marketplace-site-agent-services/{uuid}/": {
            "get": detail_operation("marketplace_site_agent_services_retrieve", tag,
                                    "Show a service with its processors.", ref("AgentService"),
                                    parameters=[path_uuid()]),
        },
        "/api/marketplace-site-agent-services/{uuid}/register_processor/": {
            "post": operation("marketplace_site_agent_services_register_processor", tag,
                              "Get or create the service's processor of that name.",
                              get_or_create("AgentProcessor", "processor"),
                              parameters=[path_uuid()], request=register_processor_body()),
        },
        "/api/marketplace-site-agent-processors/{uuid}/": {
            "get": detail_operation("marketplace_site_agent_processors_retrieve", tag,
                                    "Show a processor.", ref("AgentProcessor"),
                                    parameters=[path_uuid()]),
        },
    }


def resource_filters() -> list[dict]:
    return [
        query("offering_uuid", UUID_LIST_FILTER,
              "Of any of these offerings (also comma-separated).",
              repeatable=True),
        query("project_uuid", UUID_FILTER, "Of this project."),
        query("backend_id", FILTER_TEXT, "Backend id is exactly."),
        query("state", enum(RESOURCE_STATES), "Any of these states.", repeatable=True),
    ]


def catalog_paths() -> dict:
    offerings = "/api/marketplace-public-offerings/"
    return {
        "/api/projects/": {
            "get": list_operation(
                "projects_list", "projects",
                "List projects (staff, support, and anyone holding an offering role).",
                ref("Project"), filters=[
                    query("slug", FILTER_TEXT, "Slug is exactly."),
                    query("name", FILTER_TEXT, "Name contains, any case."),
                    query("name_exact", FILTER_TEXT, "Name is exactly."),
                ]),
        },
        "/api/projects/{uuid}/": {
            "get": detail_operation("projects_retrieve", "projects", "Show a project.",
                                    ref("Project"), parameters=[path_uuid()]),
        },
        offerings: {
            "get": list_operation(
                "marketplace_public_offerings_list", "offerings",
                "List offerings with their plans (any authenticated caller).",
                ref("PublicOffering"), filters=[
                    query("name", FILTER_TEXT, "Name contains, any case."),
                    query("slug", FILTER_TEXT, "Slug is exactly."),
                ]),
        },
        offerings + "{uuid}/": {
            "get": detail_operation("marketplace_public_offerings_retrieve", "offerings",
                                    "Show an offering with its plans.", ref("PublicOffering"),
                                    parameters=[path_uuid()]),
        },
        offerings + "{uuid}/plans/": {
            "get": detail_operation("marketplace_public_offerings_plans_list", "offerings",
                                    "The offering's plans (a plain array, not paged).",
                                    array(ref("Plan")), parameters=[path_uuid()]),
        },
        offerings + "{uuid}/plans/{plan_uuid}/": {
            "get": detail_operation("marketplace_public_offerings_plans_retrieve", "offerings",
                                    "Show a plan of the offering.", ref("Plan"),
                                    parameters=[path_uuid(), path_uuid("plan_uuid")]),
        },
        "/api/marketplace-resources/": {
            "get": list_operation(
                "marketplace_resources_list", "marketplace-resources",
                "List marketplace resources (staff, support, the offering's managers).",
                ref("MarketplaceResource"), filters=resource_filters()),
        },
        "/api/marketplace-resources/{uuid}/": {
            "get": detail_operation("marketplace_resources_retrieve", "marketplace-resources",
                                    "Show a marketplace resource.", ref("MarketplaceResource"),
                                    parameters=[path_uuid()]),
        },
        "/api/marketplace-orders/": {
            "get": list_operation(
                "marketplace_orders_list", "marketplace-orders",
                "List orders (staff, support, the offering's managers).", ref("Order"),
                filters=[
                    query("offering_uuid", UUID_FILTER, "Of this offering."),
                    query("project_uuid", UUID_FILTER, "Of this project."),
                    query("resource_uuid", UUID_FILTER, "Of this marketplace resource."),
                    query("state", enum(ORDER_STATES), "Any of these states.", repeatable=True),
                    query("type", enum(ORDER_TYPES), "Any of these types.", repeatable=True),
                    *date_filters("created", "created_before", "modified", "modified_before"),
                ]),
        },
        "/api/marketplace-orders/{uuid}/": {
            "get": detail_operation("marketplace_orders_retrieve", "marketplace-orders",
                                    "Show an order.", ref("Order"), parameters=[path_uuid()]),
        },
    }


def provider_paths() -> dict:
    tag = "providers"
    return {
        "/api/marketplace-provider-offerings/": {
            "get": list_operation(
                "marketplace_provider_offerings_list", tag,
                "List the offerings the caller manages (all for staff and support).",
                field_restricted("ProviderOffering"), filters=[
                    query("customer_uuid", UUID_FILTER, "Of this provider customer."),
                    query("name", FILTER_TEXT, "Name contains, any case."),
                    query("name_exact", FILTER_TEXT, "Name is exactly."),
                    query("slug", FILTER_TEXT, "Slug is exactly."),
                    FIELD,
                ]),
        },
        "/api/marketplace-provider-offerings/{uuid}/": {
            "get": detail_operation("marketplace_provider_offerings_retrieve", tag,
                                    "Show an offering the caller manages.",
                                    field_restricted("ProviderOffering"),
                                    parameters=[path_uuid(), FIELD]),
        },
        "/api/marketplace-service-providers/": {
            "get": list_operation(
                "marketplace_service_providers_list", tag,
                "List the service providers the caller holds a role on.",
                field_restricted("ServiceProvider"), filters=[
                    query("customer_uuid", UUID_FILTER, "Of this customer."), FIELD,
                ]),
        },
        "/api/marketplace-service-providers/{uuid}/": {
            "get": detail_operation("marketplace_service_providers_retrieve", tag,
                                    "Show a service provider.",
                                    field_restricted("ServiceProvider"),
                                    parameters=[path_uuid(), FIELD]),
        },
        "/api/marketplace-provider-resources/": {
            "get": list_operation(
                "marketplace_provider_resources_list", tag,
                "List the resources of the caller's offerings.",
                field_restricted("MarketplaceResource"), filters=[*resource_filters(), FIELD]),
        },
        "/api/marketplace-provider-resources/{uuid}/": {
            "get": detail_operation("marketplace_provider_resources_retrieve", tag,
                                    "Show a resource of one of the caller's offerings.",
                                    field_restricted("MarketplaceResource"),
                                    parameters=[path_uuid(), FIELD]),
        },
    }


def user_paths() -> dict:
    return {
        "/api/users/me/": {
            "get": operation("users_me_retrieve", "users",
                             "The authenticated account with its roles.",
                             ok(field_restricted("User")), parameters=[FIELD]),
        },
        "/api/users/{uuid}/": {
            "get": detail_operation("users_retrieve", "users",
                                    "An account: one's own, or any for staff and support.",
                                    field_restricted("User"), parameters=[path_uuid(), FIELD]),
        },
        "/api/version/": {
            "get": operation("version_retrieve", "version", "The console's version.",
                             ok(ref("Version"))),
        },
    }


def schema_paths() -> dict:
    return {
        "/api/schema/": {
            "get": {
                "operationId": "schema_retrieve", "tags": ["schema"],
                "summary": "This document (no token needed).", "security": [],
                "parameters": [],
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": json_content(OBJECT)},
                              **BAD_REQUEST},
            },
        },
    }


DESCRIPTION = """\
The JSON API of the Backend Resource Console, wire-compatible with Waldur's paths, keys, headers
and status codes, for site agents and scripts.

Every operation except this document needs `Authorization: Token <key>` (the keyword in any
case). UUIDs are emitted as 32 hex characters and accepted hex or hyphenated; datetimes are
ISO 8601 UTC ending in `Z`. Lists are plain JSON arrays with `X-Result-Count` and `Link`
headers. Errors are `{"detail": "..."}` or, for refused input (400), messages by field name.
Methods a path does not offer answer 405 with an `Allow` header.
"""


def with_bounds(paths: dict, max_filter_length: int) -> dict:
    """Add what the request guards enforce everywhere: query values of at most
    `max_filter_length` characters (400), and 413 for a body past the size limit."""
    def bounded(parameter: dict) -> dict:
        schema = parameter["schema"]
        if parameter["in"] != "query":
            return parameter
        if schema.get("type") == "array":
            schema = {**schema, "items": {**schema["items"], "maxLength": max_filter_length}}
        else:
            schema = {**schema, "maxLength": max_filter_length}
        return {**parameter, "schema": schema}

    for item in paths.values():
        for method, operation_ in item.items():
            operation_["parameters"] = [bounded(parameter)
                                        for parameter in operation_["parameters"]]
            if method in BODY_METHODS:
                operation_["responses"].update(error(413, "The body is too large."))
    return paths


@cache
def openapi_document(*, max_filter_length: int = 500, max_sort_keys: int = 6) -> dict:
    """The whole OpenAPI document for these input bounds (built once per set of bounds)."""
    paths = backend_resource_paths(max_sort_keys)
    for part in (scan_request_paths, agent_paths, catalog_paths, provider_paths, user_paths,
                 schema_paths):
        paths.update(part())
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": "1", "description": DESCRIPTION},
        "paths": with_bounds(paths, max_filter_length),
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "tokenAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                              "description": "`Token <key>`; `flask tokens create USERNAME` "
                                             "prints a key."},
            },
        },
        "security": [{"tokenAuth": []}],
    }


SCHEMA_RULE = "/schema/"


@bp.get(SCHEMA_RULE)
def schema_document():
    """Serve the OpenAPI document to anyone: it describes the API and holds no data."""
    return json_response(openapi_document(
        max_filter_length=current_app.config["CONSOLE_MAX_FILTER_LENGTH"],
        max_sort_keys=current_app.config["CONSOLE_MAX_SORT_KEYS"],
    ))


refuse_other_methods(SCHEMA_RULE, ("GET",))
