"""Type stub of the C extension that applies the limiter's block gains (see _gains.c)."""

import numpy as np
import numpy.typing as npt

def apply_gains(
    audio: npt.NDArray[np.float64],
    channels: int,
    linear: npt.NDArray[np.float64],
    slopes: npt.NDArray[np.float64],
    block: int,
    first: int,
    out: npt.NDArray[np.float64],
    /,
) -> None: ...
