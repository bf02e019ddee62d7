/*
 * What the mastering kernels share: taking a float64 buffer from a Python object.
 */
#ifndef BANDMATE_MASTER_BUFFERS_H
#define BANDMATE_MASTER_BUFFERS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* Get a C-contiguous float64 buffer (writable if asked); on failure set a TypeError naming
 * ``what`` and return -1 with nothing to release. */
static int
get_buffer(PyObject *obj, Py_buffer *view, int writable, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (view->itemsize != sizeof(double) || view->format == NULL || strcmp(view->format, "d") != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous float64 buffer", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#endif
