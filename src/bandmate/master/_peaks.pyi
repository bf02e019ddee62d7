"""Type stub of the C extension that runs the true-peak interpolator (see _peaks.c)."""

import numpy as np
import numpy.typing as npt

def available() -> bool: ...
def block_max(
    x: npt.NDArray[np.float64],
    taps: npt.NDArray[np.float32],
    scale: float,
    lo: int,
    hi: int,
    block: int,
    with_samples: bool,
    out: npt.NDArray[np.float32],
    /,
) -> None: ...
