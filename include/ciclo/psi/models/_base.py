from pydantic import BaseModel, ConfigDict


class Modelo(BaseModel):
    """Field names are the wire's camelCase; unknown fields are kept (the SS may add some)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)
