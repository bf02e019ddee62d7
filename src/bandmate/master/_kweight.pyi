"""Type stub of the C extension that K-weights a stereo pair (see _kweight.c)."""

import numpy as np
import numpy.typing as npt

def pair_power(
    samples: npt.NDArray[np.float64],
    sos: npt.NDArray[np.float64],
    weight: float,
    state: npt.NDArray[np.float64],
    power: npt.NDArray[np.float64],
    /,
) -> float: ...
