"""Subscriptions: who receives a watchlist's alerts, by e-mail and/or webhook."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from markwatch.api.deps import get_org
from markwatch.api.schemas import SubscriptionIn, SubscriptionPatch
from markwatch.service.org_service import OrgService

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


@router.get("", summary="The caller's subscriptions, and those to watchlists it owns")
def list_subscriptions(org: OrgService = Depends(get_org)) -> list[dict]:
    return org.subscriptions()


@router.post("", status_code=201, summary="Subscribe an organisation to a watchlist (the watchlist's owner only)")
def create_subscription(body: SubscriptionIn, org: OrgService = Depends(get_org)) -> dict:
    return org.subscribe(body.watchlist_id, organisation=body.organisation, email=body.email,
                         webhook=body.webhook, webhook_secret=body.webhook_secret)


@router.get("/{subscription_id}", summary="One subscription")
def get_subscription(subscription_id: int, org: OrgService = Depends(get_org)) -> dict:
    return org.subscription(subscription_id)


@router.patch("/{subscription_id}", summary="Change a subscription's e-mail, webhook or secret")
def update_subscription(subscription_id: int, body: SubscriptionPatch, org: OrgService = Depends(get_org)) -> dict:
    return org.update_subscription(subscription_id, body.model_dump(exclude_unset=True))


@router.delete("/{subscription_id}", status_code=204, summary="End a subscription")
def delete_subscription(subscription_id: int, org: OrgService = Depends(get_org)) -> Response:
    org.unsubscribe(subscription_id)
    return Response(status_code=204)
