/*
 * bandmate.master._gains: the limiter's per-block gains applied to every sample, in one pass.
 *
 * Gains are given at block centres and interpolated linearly in between (see
 * bandmate.master.limiter.sample_gains): sample i of segment k (between the centres of
 * blocks k and k + 1) gets linear[k] + slope[k] * offset, with offset = first - block / 2 + j
 * for the j-th sample of the segment. numpy computes this as a gain array and a product;
 * here each gain is made and used at once, with the same two roundings (built without FMA
 * contraction), so the output is the same bit for bit, without a gain array or a second
 * pass over the audio. The GIL is released while it runs.
 */
#include "_buffers.h"
#include <string.h>

static void
scale(const double *x, double *y, Py_ssize_t frames, Py_ssize_t channels, double gain)
{
    Py_ssize_t values = frames * channels;
    for (Py_ssize_t i = 0; i < values; i++) y[i] = x[i] * gain;
}

static void
apply(const double *x, double *y, Py_ssize_t frames, Py_ssize_t channels, const double *linear,
      const double *slopes, Py_ssize_t count, Py_ssize_t block, Py_ssize_t first)
{
    Py_ssize_t head = first < frames ? first : frames;
    scale(x, y, head, channels, linear[0]);
    double base = (double)first - 0.5 * (double)block;
    Py_ssize_t at = first;
    for (Py_ssize_t k = 0; k + 1 < count && at < frames; k++) {
        Py_ssize_t stop = at + block < frames ? at + block : frames;
        double slope = slopes[k], start = linear[k];
        for (Py_ssize_t i = at; i < stop; i++) {
            double offset = base + (double)(i - at);
            double gain = slope * offset;
            gain = gain + start;
            const double *in = x + i * channels;
            double *out = y + i * channels;
            for (Py_ssize_t c = 0; c < channels; c++) out[c] = in[c] * gain;
        }
        at = stop;
    }
    if (at < frames) scale(x + at * channels, y + at * channels, frames - at, channels,
                           linear[count - 1]);
}

static PyObject *
py_apply_gains(PyObject *self, PyObject *args)
{
    PyObject *audio_obj, *linear_obj, *slopes_obj, *out_obj;
    Py_ssize_t channels, block, first;
    if (!PyArg_ParseTuple(args, "OnOOnnO:apply_gains", &audio_obj, &channels, &linear_obj,
                          &slopes_obj, &block, &first, &out_obj))
        return NULL;
    Py_buffer audio, linear, slopes, out;
    if (get_buffer(audio_obj, &audio, 0, "audio") < 0) return NULL;
    if (get_buffer(linear_obj, &linear, 0, "linear") < 0) goto fail_audio;
    if (get_buffer(slopes_obj, &slopes, 0, "slopes") < 0) goto fail_linear;
    if (get_buffer(out_obj, &out, 1, "out") < 0) goto fail_slopes;
    Py_ssize_t values = audio.len / (Py_ssize_t)sizeof(double);
    Py_ssize_t count = linear.len / (Py_ssize_t)sizeof(double);
    if (channels < 1 || values % channels != 0 || out.len != audio.len || count < 2 ||
        slopes.len != (count - 1) * (Py_ssize_t)sizeof(double) || block < 1 || first < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "need audio and out of n x channels values, at least 2 gains and one "
                        "slope fewer, block >= 1 and first >= 0");
        goto fail_out;
    }
    Py_BEGIN_ALLOW_THREADS
    apply((const double *)audio.buf, (double *)out.buf, values / channels, channels,
          (const double *)linear.buf, (const double *)slopes.buf, count, block, first);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&out);
    PyBuffer_Release(&slopes);
    PyBuffer_Release(&linear);
    PyBuffer_Release(&audio);
    Py_RETURN_NONE;
fail_out:
    PyBuffer_Release(&out);
fail_slopes:
    PyBuffer_Release(&slopes);
fail_linear:
    PyBuffer_Release(&linear);
fail_audio:
    PyBuffer_Release(&audio);
    return NULL;
}

static PyMethodDef methods[] = {
    {"apply_gains", py_apply_gains, METH_VARARGS,
     "apply_gains(audio, channels, linear, slopes, block, first, out) -> None\n\n"
     "Scale interleaved float64 frames (n x channels) by gains interpolated between block\n"
     "centres, as bandmate.master.limiter.apply_gains does, writing into out."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gains",
                                    "The limiter's block gains applied per sample.", -1, methods};

PyMODINIT_FUNC
PyInit__gains(void)
{
    return PyModule_Create(&module);
}
