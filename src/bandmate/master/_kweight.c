/*
 * bandmate.master._kweight: the K-weighting of a stereo pair, in one pass.
 *
 * BS.1770's K-weighting is two biquads per channel. For a pair of channels with the same
 * weight (stereo), this reads interleaved float64 frames once and writes, per frame,
 * weight * (yL^2 + yR^2) of the filtered channels, and the pair's sample peak. The
 * filters are direct form II transposed, the arithmetic in the same order as
 * scipy.signal.sosfilt's (built without FMA contraction), so the output is the same.
 * The GIL is released while it runs.
 */
#include "_buffers.h"
#include <math.h>
#include <string.h>

typedef struct {
    double b0, b1, b2, a1, a2;
} Biquad;

static double
pair_power(const double *x, Py_ssize_t frames, const Biquad *f, double weight, double *z,
           double *power)
{
    /* z: [section][channel][2] = 8 doubles of state */
    double z00 = z[0], z01 = z[1], z02 = z[2], z03 = z[3];
    double z10 = z[4], z11 = z[5], z12 = z[6], z13 = z[7];
    const Biquad s0 = f[0], s1 = f[1];
    double peak = 0.0;
    for (Py_ssize_t i = 0; i < frames; i++) {
        double l = x[2 * i], r = x[2 * i + 1];
        double al = fabs(l), ar = fabs(r);
        if (al > peak) peak = al;
        if (ar > peak) peak = ar;
        /* section 0, left and right */
        double yl = s0.b0 * l + z00;
        z00 = s0.b1 * l - s0.a1 * yl + z01;
        z01 = s0.b2 * l - s0.a2 * yl;
        double yr = s0.b0 * r + z02;
        z02 = s0.b1 * r - s0.a1 * yr + z03;
        z03 = s0.b2 * r - s0.a2 * yr;
        /* section 1 */
        double ol = s1.b0 * yl + z10;
        z10 = s1.b1 * yl - s1.a1 * ol + z11;
        z11 = s1.b2 * yl - s1.a2 * ol;
        double orr = s1.b0 * yr + z12;
        z12 = s1.b1 * yr - s1.a1 * orr + z13;
        z13 = s1.b2 * yr - s1.a2 * orr;
        power[i] = weight * (ol * ol + orr * orr);
    }
    z[0] = z00; z[1] = z01; z[2] = z02; z[3] = z03;
    z[4] = z10; z[5] = z11; z[6] = z12; z[7] = z13;
    return peak;
}

static PyObject *
py_pair_power(PyObject *self, PyObject *args)
{
    PyObject *samples_obj, *sos_obj, *state_obj, *power_obj;
    double weight;
    if (!PyArg_ParseTuple(args, "OOdOO:pair_power", &samples_obj, &sos_obj, &weight, &state_obj,
                          &power_obj))
        return NULL;
    Py_buffer samples, sos, state, power;
    if (get_buffer(samples_obj, &samples, 0, "samples") < 0) return NULL;
    if (get_buffer(sos_obj, &sos, 0, "sos") < 0) goto fail_samples;
    if (get_buffer(state_obj, &state, 1, "state") < 0) goto fail_sos;
    if (get_buffer(power_obj, &power, 1, "power") < 0) goto fail_state;
    Py_ssize_t values = samples.len / (Py_ssize_t)sizeof(double);
    if (values % 2 != 0 || sos.len != 12 * (Py_ssize_t)sizeof(double) ||
        state.len != 8 * (Py_ssize_t)sizeof(double) ||
        power.len != (values / 2) * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError,
                        "need samples of 2 x n, sos of 2 x 6, state of 8 and power of n values");
        goto fail_power;
    }
    const double *c = (const double *)sos.buf;
    /* sosfilt rows are (b0, b1, b2, a0, a1, a2) with a0 == 1 */
    if (c[3] != 1.0 || c[9] != 1.0) {
        PyErr_SetString(PyExc_ValueError, "sos rows must be normalised (a0 == 1)");
        goto fail_power;
    }
    Biquad f[2] = {{c[0], c[1], c[2], c[4], c[5]}, {c[6], c[7], c[8], c[10], c[11]}};
    double peak;
    Py_BEGIN_ALLOW_THREADS
    peak = pair_power((const double *)samples.buf, values / 2, f, weight, (double *)state.buf,
                      (double *)power.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&power);
    PyBuffer_Release(&state);
    PyBuffer_Release(&sos);
    PyBuffer_Release(&samples);
    return PyFloat_FromDouble(peak);
fail_power:
    PyBuffer_Release(&power);
fail_state:
    PyBuffer_Release(&state);
fail_sos:
    PyBuffer_Release(&sos);
fail_samples:
    PyBuffer_Release(&samples);
    return NULL;
}

static PyMethodDef methods[] = {
    {"pair_power", py_pair_power, METH_VARARGS,
     "pair_power(samples, sos, weight, state, power) -> peak\n\n"
     "K-weight interleaved stereo float64 frames (n x 2) with the 2-section sos, write\n"
     "weight * (yL^2 + yR^2) per frame into power (n), carry the filter state (8 values)\n"
     "and return the sample peak of the frames."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kweight",
                                    "The K-weighting of a stereo pair in one pass.", -1, methods};

PyMODINIT_FUNC
PyInit__kweight(void)
{
    return PyModule_Create(&module);
}
