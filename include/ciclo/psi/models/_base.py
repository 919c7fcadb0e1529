"""Base of every PSI payload model."""

from pydantic import BaseModel, ConfigDict

from ciclo.domain import jsonexato


class Modelo(BaseModel):
    """Field names are the wire's camelCase; unknown fields are kept (the SS may add some).

    Parse answers from ``jsonexato.loads`` (numbers → ``Decimal``, never float). To write one, use ``json_exato()``:
    pydantic's own ``model_dump_json`` writes ``Decimal`` as a *string*, which is not the wire format.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)

    def json_exato(self) -> str:
        """The model as wire JSON: ``Decimal`` as a JSON number with its exact digits, dates ISO, nulls omitted."""
        return jsonexato.dumps(self.model_dump(exclude_none=True))
