"""The calls waldur-site-agent 1.0.7 makes when it builds a processor, through the official client.

They follow `OfferingBaseProcessor.__init__` and `_get_waldur_resources`
(common/processors.py:318-345 and 3869): who am I, the offering with four fields, the provider's
service provider, then the provider resources that already exist.
"""

from waldur_api_client.api.marketplace_orders import marketplace_orders_list
from waldur_api_client.api.marketplace_provider_offerings import (
    marketplace_provider_offerings_list,
    marketplace_provider_offerings_retrieve,
)
from waldur_api_client.api.marketplace_provider_resources import (
    marketplace_provider_resources_list,
    marketplace_provider_resources_retrieve,
)
from waldur_api_client.api.marketplace_service_providers import (
    marketplace_service_providers_list,
    marketplace_service_providers_retrieve,
)
from waldur_api_client.api.users import users_me_retrieve
from waldur_api_client.models.order_state import OrderState
from waldur_api_client.models.provider_offering_details_field_enum import (
    ProviderOfferingDetailsFieldEnum,
)
from waldur_api_client.models.resource_state import ResourceState
from waldur_api_client.models.service_provider_field_enum import ServiceProviderFieldEnum

from console.extensions import db
from console.services.imports import import_backend_resource
from tests.api.official_client import status_of

AGENT_FIELDS = [
    ProviderOfferingDetailsFieldEnum.COMPONENTS,
    ProviderOfferingDetailsFieldEnum.CUSTOMER_UUID,
    ProviderOfferingDetailsFieldEnum.PARTITIONS,
    ProviderOfferingDetailsFieldEnum.PLUGIN_OPTIONS,
]
AGENT_STATES = [ResourceState.OK, ResourceState.ERRED, ResourceState.CREATING]


def test_processor_start_up_sequence(official, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project, backend_id="alloc_1")
    imported = import_backend_resource(
        db.session, backend_resource_uuid=report.uuid, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    )
    factory.backend_resource(actors.offering, actors.project, backend_id="alloc_2")
    provider_uuid, offering_uuid = actors.offering.customer.uuid, actors.offering.uuid
    # The agent's config holds the offering uuid as text; it is sent as written.
    config_uuid = offering_uuid.hex
    client = official("agent")

    current_user = users_me_retrieve.sync(client=client)
    assert current_user.username == "agent" and not current_user.is_staff
    assert [permission.scope_uuid for permission in current_user.permissions] == [offering_uuid]

    waldur_offering = marketplace_provider_offerings_retrieve.sync(
        client=client, uuid=config_uuid, field=AGENT_FIELDS
    )
    assert waldur_offering.customer_uuid == provider_uuid
    assert waldur_offering.components == [] and waldur_offering.partitions == []
    assert waldur_offering.plugin_options.additional_properties.get("enforce_qos") is None

    service_providers = marketplace_service_providers_list.sync(
        customer_uuid=waldur_offering.customer_uuid.hex, client=client,
        field=[ServiceProviderFieldEnum.UUID],
    )
    service_provider = service_providers[0]
    assert len(service_provider.uuid.hex) == 32
    full = marketplace_service_providers_retrieve.sync(uuid=service_provider.uuid, client=client)
    assert full.customer_uuid == provider_uuid

    waldur_resources = marketplace_provider_resources_list.sync_all(
        offering_uuid=[config_uuid], state=AGENT_STATES, client=client
    )
    assert {resource.backend_id: resource.state for resource in waldur_resources} == {
        "alloc_1": ResourceState.OK
    }
    fetched = marketplace_provider_resources_retrieve.sync(
        uuid=imported.resource.uuid, client=client
    )
    assert fetched.uuid == imported.resource.uuid

    # Order reconciliation, in the same process: nothing is stuck.
    assert marketplace_orders_list.sync_all(
        client=client, offering_uuid=config_uuid,
        state=[OrderState.PENDING_PROVIDER, OrderState.EXECUTING],
        modified_before=imported.order.modified,
    ) == []


def test_another_offerings_agent_is_refused(official, actors, factory):
    stranger = factory.user("stranger")
    factory.grant(stranger, offering=factory.offering(name="Elsewhere"))
    actors.tokens["stranger"] = factory.token(stranger)
    client = official("stranger")
    assert status_of(lambda: marketplace_provider_offerings_retrieve.sync(
        client=client, uuid=actors.offering.uuid, field=AGENT_FIELDS)) == 404
    assert marketplace_service_providers_list.sync(
        customer_uuid=actors.offering.customer.uuid.hex, client=client,
        field=[ServiceProviderFieldEnum.UUID],
    ) == []
    assert marketplace_provider_resources_list.sync_all(
        offering_uuid=[actors.offering.uuid], state=AGENT_STATES, client=client
    ) == []
    assert [offering.name for offering in marketplace_provider_offerings_list.sync(
        client=client)] == ["Elsewhere"]
