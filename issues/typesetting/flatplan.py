"""TEMPORARY stub until the pdf-panel branch lands."""

from dataclasses import dataclass


@dataclass
class _State:
    def notes(self):
        return []


def pdf_state(issue):
    return _State()
