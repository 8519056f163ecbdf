"""``skytells models ls`` and ``skytells models inspect SLUG``."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from skytells.cli.display import Lister, Shown, ShowOne

from skytells_models.api import Inference

LIST_COLUMNS = ("slug", "name", "type", "status", "vendor")
SHOW_COLUMNS = ("slug", "name", "type", "status", "description", "vendor", "privacy", "billable", "pricing",
                "capabilities", "inputs", "required")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _vendor(model: Mapping[str, Any]) -> str | None:
    vendor = model.get("vendor")
    return _text(vendor.get("name")) if isinstance(vendor, dict) else _text(vendor)


def _pricing(model: Mapping[str, Any]) -> Any:
    pricing = model.get("pricing")
    if not isinstance(pricing, dict):
        return None
    amount, currency, unit = pricing.get("amount"), pricing.get("currency"), pricing.get("unit")
    words = " ".join(str(part) for part in (amount, currency) if part is not None)
    return Shown(pricing, f"{words} per {unit}" if unit else words or "-")


def _schema(model: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    schema = model.get("input_schema")
    if not isinstance(schema, dict):
        return [], []
    properties = schema.get("properties")
    required = schema.get("required")
    names = [name for name in properties if isinstance(name, str)] if isinstance(properties, dict) else []
    wanted = [name for name in required if isinstance(name, str)] if isinstance(required, list) else []
    return names, wanted


def slug_of(model: Mapping[str, Any]) -> str | None:
    """A model's slug: its ``namespace`` (the documented field), else its ``id``."""
    return _text(model.get("namespace")) or _text(model.get("id"))


class ModelList(Lister):
    """List the models of the inference API"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--type", choices=("image", "video", "audio", "text"),
                            help="Only the models of this type.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], list[Sequence[Any]]]:
        models = Inference(self.context.client("inference")).models()
        rows = [(slug_of(model), _text(model.get("name")), _text(model.get("type")), _text(model.get("status")),
                 _vendor(model))
                for model in models if parsed_args.type is None or model.get("type") == parsed_args.type]
        return LIST_COLUMNS, rows


class ModelInspect(ShowOne):
    """Show one model of the inference API: what it does, its price and its inputs"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("slug", metavar="SLUG", help="The model's slug (see skytells models ls).")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Sequence[Any]]:
        model = Inference(self.context.client("inference")).model(parsed_args.slug)
        capabilities = model.get("capabilities")
        inputs, required = _schema(model)
        billable = model.get("billable")
        values = (slug_of(model), _text(model.get("name")), _text(model.get("type")), _text(model.get("status")),
                  _text(model.get("description")), _vendor(model), _text(model.get("privacy")),
                  billable if isinstance(billable, bool) else None, _pricing(model),
                  [c for c in capabilities if isinstance(c, str)] if isinstance(capabilities, list) else None,
                  inputs, required)
        return SHOW_COLUMNS, values
