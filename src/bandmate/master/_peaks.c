/*
 * bandmate.master._peaks: the true-peak interpolator run over a signal, with AVX2 and FMA.
 *
 * The interpolator (bandmate.master._polyphase) gives, for each of its phases, the point a
 * fraction of the way after sample m as a 32-tap dot product of the samples around m. This
 * computes those points eight positions at a time (one vector per phase, the same samples
 * loaded once for three phases) in single precision, from samples scaled and converted a
 * chunk at a time, and keeps only what callers need: the largest magnitude per block of
 * positions. It does a third of the multiplications of the banded matrix product it
 * replaces and about three times as fast on one core. Processors without AVX2 and FMA (and
 * other architectures) use that matrix product instead: available() says which.
 * The GIL is released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_KERNEL 1
#else
#define HAVE_KERNEL 0
#endif

#define TAPS 32
#define HALF 16
#define CHUNK 4096 /* positions per pass (a multiple of 16) */
#define PAD 16     /* positions the vector loop may run past a chunk's end */

#if HAVE_KERNEL
#define ABS(v) _mm256_andnot_ps(sign, (v))

/* pmax[i] = max over phases of |sum_k h[p][k] * local[i + k]| for i in [0, count), in
 * steps of 16 (up to 15 more positions are written). h holds each phase's taps in the
 * order of the samples they multiply. */
__attribute__((target("avx2,fma"))) static void
points(const float *local, Py_ssize_t count, int phases, const float *h, float *pmax)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (Py_ssize_t m = 0; m < count; m += 16) {
        __m256 best_a = _mm256_setzero_ps(), best_b = best_a;
        for (int p = 0; p < phases; p += 3) {
            const float *h0 = h + (Py_ssize_t)p * TAPS;
            if (phases - p == 1) {
                __m256 a = _mm256_setzero_ps(), b = a;
                for (int k = 0; k < TAPS; k++) {
                    __m256 c = _mm256_broadcast_ss(h0 + k);
                    a = _mm256_fmadd_ps(c, _mm256_loadu_ps(local + m + k), a);
                    b = _mm256_fmadd_ps(c, _mm256_loadu_ps(local + m + 8 + k), b);
                }
                best_a = _mm256_max_ps(best_a, ABS(a));
                best_b = _mm256_max_ps(best_b, ABS(b));
                continue;
            }
            /* two or three phases (with two, the second is computed twice) */
            const float *h1 = h0 + TAPS, *h2 = phases - p > 2 ? h0 + 2 * TAPS : h1;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
            for (int k = 0; k < TAPS; k++) {
                __m256 xa = _mm256_loadu_ps(local + m + k);
                __m256 xb = _mm256_loadu_ps(local + m + 8 + k);
                __m256 c0 = _mm256_broadcast_ss(h0 + k);
                __m256 c1 = _mm256_broadcast_ss(h1 + k);
                __m256 c2 = _mm256_broadcast_ss(h2 + k);
                a0 = _mm256_fmadd_ps(c0, xa, a0);
                a1 = _mm256_fmadd_ps(c1, xa, a1);
                a2 = _mm256_fmadd_ps(c2, xa, a2);
                b0 = _mm256_fmadd_ps(c0, xb, b0);
                b1 = _mm256_fmadd_ps(c1, xb, b1);
                b2 = _mm256_fmadd_ps(c2, xb, b2);
            }
            best_a = _mm256_max_ps(best_a, _mm256_max_ps(ABS(a0), _mm256_max_ps(ABS(a1), ABS(a2))));
            best_b = _mm256_max_ps(best_b, _mm256_max_ps(ABS(b0), _mm256_max_ps(ABS(b1), ABS(b2))));
        }
        _mm256_storeu_ps(pmax + m, best_a);
        _mm256_storeu_ps(pmax + m + 8, best_b);
    }
}

/* For positions m in [lo, hi): out[(m - lo) / block] = max(itself, every point after m, and
 * |x[m]| * scale if with_samples). Samples outside [0, n) read as zeros. */
static void
block_max(const double *x, Py_ssize_t stride, Py_ssize_t n, Py_ssize_t lo, Py_ssize_t hi,
          int phases, const float *h, double scale, Py_ssize_t block, int with_samples,
          float *out)
{
    float local[CHUNK + TAPS + PAD], pmax[CHUNK + PAD];
    for (Py_ssize_t start = lo; start < hi; start += CHUNK) {
        Py_ssize_t count = hi - start < CHUNK ? hi - start : CHUNK;
        Py_ssize_t first = start - (HALF - 1), size = count + TAPS + PAD - 1;
        /* local[i] = x[first + i] * scale: zeros before 0, samples, zeros from n */
        Py_ssize_t i = 0, inside = n - first < size ? n - first : size;
        for (; i < size && first + i < 0; i++) local[i] = 0.0f;
        for (; i < inside; i++) local[i] = (float)(x[(first + i) * stride] * scale);
        for (; i < size; i++) local[i] = 0.0f;
        points(local, count, phases, h, pmax);
        Py_ssize_t b = (start - lo) / block, offset = (start - lo) - b * block;
        for (Py_ssize_t j = 0; j < count; b++, offset = 0) {
            Py_ssize_t stop = j + (block - offset) < count ? j + (block - offset) : count;
            float v = out[b];
            for (; j < stop; j++) {
                if (pmax[j] > v) v = pmax[j];
                if (with_samples) {
                    float s = fabsf(local[j + HALF - 1]);
                    if (s > v) v = s;
                }
            }
            out[b] = v;
        }
    }
}
#endif

static int
kernel_available(void)
{
#if HAVE_KERNEL
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static PyObject *
py_available(PyObject *self, PyObject *unused)
{
    return PyBool_FromLong(kernel_available());
}

static PyObject *
py_block_max(PyObject *self, PyObject *args)
{
    PyObject *x_obj, *taps_obj, *out_obj;
    double scale;
    Py_ssize_t lo, hi, block;
    int with_samples;
    if (!PyArg_ParseTuple(args, "OOdnnnpO:block_max", &x_obj, &taps_obj, &scale, &lo, &hi,
                          &block, &with_samples, &out_obj))
        return NULL;
    if (!kernel_available()) {
        PyErr_SetString(PyExc_RuntimeError, "this processor lacks AVX2 and FMA");
        return NULL;
    }
#if HAVE_KERNEL
    Py_buffer x, taps, out;
    if (PyObject_GetBuffer(x_obj, &x, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(taps_obj, &taps, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto fail_x;
    if (PyObject_GetBuffer(out_obj, &out, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0)
        goto fail_taps;
    if (x.ndim != 1 || strcmp(x.format, "d") != 0 || x.strides[0] % (Py_ssize_t)sizeof(double) ||
        strcmp(taps.format, "f") != 0 || strcmp(out.format, "f") != 0) {
        PyErr_SetString(PyExc_TypeError, "need x: 1-D float64; taps and out: float32");
        goto fail_out;
    }
    Py_ssize_t n = x.shape[0], stride = x.strides[0] / (Py_ssize_t)sizeof(double);
    Py_ssize_t tap_count = taps.len / (Py_ssize_t)sizeof(float);
    int phases = (int)(tap_count / TAPS);
    Py_ssize_t blocks = block > 0 ? (hi - lo + block - 1) / block : 0;
    if (tap_count % TAPS != 0 || phases < 1 || phases > 63 || block < 1 || lo < 0 || hi < lo ||
        hi > n || out.len < blocks * (Py_ssize_t)sizeof(float) || !isfinite(scale)) {
        PyErr_SetString(PyExc_ValueError,
                        "need 1..63 phases of 32 taps, 0 <= lo <= hi <= len(x), block >= 1, "
                        "room in out for every block and a finite scale");
        goto fail_out;
    }
    Py_BEGIN_ALLOW_THREADS
    block_max((const double *)x.buf, stride, n, lo, hi, phases, (const float *)taps.buf, scale,
              block, with_samples, (float *)out.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&out);
    PyBuffer_Release(&taps);
    PyBuffer_Release(&x);
    Py_RETURN_NONE;
fail_out:
    PyBuffer_Release(&out);
fail_taps:
    PyBuffer_Release(&taps);
fail_x:
    PyBuffer_Release(&x);
#endif
    return NULL;
}

static PyMethodDef methods[] = {
    {"available", py_available, METH_NOARGS,
     "available() -> bool\n\nWhether this processor runs the kernel (AVX2 and FMA)."},
    {"block_max", py_block_max, METH_VARARGS,
     "block_max(x, taps, scale, lo, hi, block, with_samples, out) -> None\n\n"
     "For positions m in lo..hi-1 of x (float64, any stride; zeros outside it), raise\n"
     "out[(m - lo) // block] (float32) to the largest |point| after m of every phase of\n"
     "taps (float32, phases x 32, in the order of x[m - 15 .. m + 16]) computed on\n"
     "x * scale, and to |x[m] * scale| with with_samples."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_peaks",
                                    "The true-peak interpolator, vectorized.", -1, methods};

PyMODINIT_FUNC
PyInit__peaks(void)
{
    return PyModule_Create(&module);
}
