"""Hypothesis entry point: registers strategies for the model classes with ``st.from_type``.

Hypothesis calls :func:`_hypothesis_setup_hook` when it is imported. Registration is lazy
(``register_type_strategy`` with a callable) so importing Hypothesis does not import the rest of
seccomp_kit, and no circular import arises when seccomp_kit itself imports Hypothesis.
"""

from __future__ import annotations

__all__ = ["_hypothesis_setup_hook"]


def _hypothesis_setup_hook() -> None:
    from seccomp_kit.testing import _registry

    _registry.register()
