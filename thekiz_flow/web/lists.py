"""What the list pages share: the search of the address, and a page refused beside its field.

A list page reads its search (:mod:`thekiz_flow.core.lists`) from the query of its address
with :func:`search_of`, keeps it (all but the page) on its pager and export links with
:func:`query_of`, and shows it with :func:`shown`: a value the service refuses comes back
as a 400 page with the message beside its field, what was typed kept, and no rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, TypeVar

from starlette.responses import Response

from thekiz_flow.core.paging import Page
from thekiz_flow.web.endpoints import Context
from thekiz_flow.web.fields import Errors, beside_fields

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

S = TypeVar("S", bound="DataclassInstance")
T = TypeVar("T")
#: Shows a list page: the page found (None: refused) and the messages of a refusal.
Show = Callable[[Page[T] | None, Errors], Response]


def search_of(ctx: Context, kind: type[S]) -> S:
    """The search of ``kind`` (a dataclass of strings) that the address asks for."""
    params = ctx.request.query_params
    given = {f.name: params[f.name] for f in fields(kind) if f.name in params}
    return kind(**given)


def query_of(search: DataclassInstance) -> dict[str, str]:
    """The filters and order of a search, for the links of its list (without the page)."""
    return {name: value for name, value in asdict(search).items() if name != "page" and value}


def shown(find: Callable[[], Page[T]], show: Show[T]) -> Response:
    """The page of what ``find`` finds; refused, the page with the message and no rows."""
    return beside_fields(lambda: show(find(), {}), lambda errors: show(None, errors))
