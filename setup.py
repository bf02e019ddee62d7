"""Builds Bandmate's one C extension, the SoundFont synthesizer's voice loop.

Everything else about the package lives in pyproject.toml; setuptools reads both.
"""

from __future__ import annotations

import sys

from setuptools import Extension, setup

# -O3 lets the compiler vectorize the mix loop; math-errno is never read, and leaving it
# out lets exp2/pow inline. No -ffast-math: the parameter checks rely on isfinite().
COMPILE_ARGS = [] if sys.platform == "win32" else ["-O3", "-fno-math-errno", "-ffp-contract=fast"]

setup(
    ext_modules=[
        Extension(
            "bandmate.render._voices",
            sources=["src/bandmate/render/_voices.c"],
            extra_compile_args=COMPILE_ARGS,
        )
    ]
)
