"""Which school a call is about: BRIN + vestiging, the key every partner files a school under."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SchoolRef:
    """A school at a partner: BRIN + vestiging (dependancecode)."""

    brincode: str
    dependancecode: str = "00"

    @property
    def key(self) -> str:
        """``99AB-00``: how the journal and the clock name the school."""
        return f"{self.brincode}-{self.dependancecode}"

    @property
    def path(self) -> str:
        """The API path of the school: ``/api/scholen/{brincode}/{dependancecode}``."""
        return f"/api/scholen/{self.brincode}/{self.dependancecode}"

    def args(self) -> dict[str, str]:
        """The school as body fields or query parameters."""
        return {"brincode": self.brincode, "dependancecode": self.dependancecode}
