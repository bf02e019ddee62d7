"""Builds Bandmate's C extensions: the synthesizer's voice loop and three mastering kernels.

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
        ),
        # The K-weighting of a stereo pair: FMA contraction off, so that it computes
        # exactly what scipy.signal.sosfilt does.
        Extension(
            "bandmate.master._kweight",
            sources=["src/bandmate/master/_kweight.c"],
            depends=["src/bandmate/master/_buffers.h"],
            extra_compile_args=[] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"],
        ),
        # The limiter's gains per sample: no FMA either, to equal numpy's two roundings.
        Extension(
            "bandmate.master._gains",
            sources=["src/bandmate/master/_gains.c"],
            depends=["src/bandmate/master/_buffers.h"],
            extra_compile_args=[] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"],
        ),
        # The true-peak interpolator: AVX2 and FMA in one function, chosen at run time.
        Extension(
            "bandmate.master._peaks",
            sources=["src/bandmate/master/_peaks.c"],
            extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
        ),
    ]
)
