/*
 * bandmate.render._voices: the per-sample loop of Bandmate's SoundFont synthesizer.
 *
 * A VoicePool holds up to `capacity` voices that play slices of one float32 sample
 * array (the SoundFont's `smpl` chunk). Python decides what to play (regions, keys,
 * velocities, channel volume and pan: see bandmate/render/voice.py) and hands each
 * voice a vector of float64 parameters; this file renders all sounding voices into an
 * interleaved float32 stereo buffer, additively, with the GIL released.
 *
 * Per voice, every sub-block of up to 64 frames: LFOs and the modulation envelope are
 * evaluated once (pitch and filter cutoff move per sub-block, as in FluidSynth), the
 * volume envelope is evaluated at the sub-block's end and ramped linearly in amplitude
 * across it. Per frame: fixed-point 32.32 phase, linear interpolation, an optional
 * float biquad low-pass (only where the filter is not fully open), and a gain-ramped
 * mix into both channels.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#define HAVE_SSE 1
#endif

#define SUB 64
#define FRAC_ONE 4294967296.0
#define SILENCE_DB (-100.0) /* a voice ends where its volume envelope falls below this */
#define CHOKE_SECONDS 0.05  /* release (per 100 dB) of a voice cut by its exclusive class */
#define N_PARAMS 33

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HOT
#endif

enum {
    P_START, P_END, P_LSTART, P_LEND, P_MODE, P_INC, P_GAIN_L, P_GAIN_R,
    P_VDELAY, P_VATTACK, P_VHOLD, P_VDECAY, P_VSUSTAIN, P_VRELEASE,
    P_MDELAY, P_MATTACK, P_MHOLD, P_MDECAY, P_MSUSTAIN, P_MRELEASE,
    P_MLFO_DELAY, P_MLFO_FREQ, P_MLFO_PITCH, P_MLFO_FC, P_MLFO_VOL,
    P_VLFO_DELAY, P_VLFO_FREQ, P_VLFO_PITCH,
    P_MENV_PITCH, P_MENV_FC, P_FC, P_Q, P_PEAK
};

enum { ST_DELAY, ST_ATTACK, ST_HOLD, ST_DECAY, ST_SUSTAIN, ST_RELEASE, ST_DONE };

/* A DAHDSR envelope. Volume envelopes decay and release linearly in dB (100 dB per
 * `decay` / `release` samples) and attack linearly in amplitude; modulation envelopes
 * are linear 0..1 throughout. */
typedef struct {
    int stage;
    int is_volume;
    double pos;  /* samples spent in the current stage */
    double delay, attack, hold, decay, release;
    double sustain; /* volume: attenuation in dB (>= 0); modulation: level 0..1 */
    double from;    /* release: volume dB (<= 0) or modulation level where it started */
} Env;

typedef struct {
    int active;
    int releasing;
    int mode; /* SF2 sampleModes: 0 no loop, 1 loop, 3 loop until released */
    int channel;
    int excl;
    int filter_on;
    int looped; /* has wrapped around its loop at least once */
    long long id;
    uint64_t pos, start, end, lstart, lend; /* 32.32 fixed point positions */
    double inc;                             /* sample frames per output frame */
    float gain_l, gain_r;
    float amp; /* envelope amplitude at the end of the last sub-block */
    Env vol, mod;
    double mlfo_delay, mlfo_freq, mlfo_phase, mlfo_pitch, mlfo_fc, mlfo_vol;
    double vlfo_delay, vlfo_freq, vlfo_phase, vlfo_pitch;
    double menv_pitch, menv_fc, fc, q_db;
    double age; /* frames rendered */
    double last_fc;
    float b0, b1, b2, a1, a2;
    float x1, x2, y1, y2; /* the filter's last inputs and outputs (direct form I) */
    float peak_gain;      /* the largest gain the voice can have besides its envelope */
} Voice;

typedef struct {
    PyObject_HEAD
    Py_buffer samples;
    Py_ssize_t n_samples;
    double sample_rate;
    Py_ssize_t capacity;
    Voice *voices;
    Py_ssize_t active;
    Py_ssize_t peak;
    int busy;
} VoicePool;

/* ---- envelopes ---------------------------------------------------------------- */

static double env_stage_length(const Env *e) {
    switch (e->stage) {
    case ST_DELAY: return e->delay;
    case ST_ATTACK: return e->attack;
    case ST_HOLD: return e->hold;
    case ST_DECAY:
        if (e->is_volume) return e->decay * (e->sustain < 100.0 ? e->sustain : 100.0) / 100.0;
        return e->decay * (1.0 - e->sustain);
    case ST_RELEASE:
        if (e->is_volume) return e->release * (e->from - SILENCE_DB) / 100.0;
        return e->release * e->from;
    default: return INFINITY; /* sustain and done last for ever */
    }
}

static void env_advance(Env *e, double frames) {
    e->pos += frames;
    for (;;) {
        double length = env_stage_length(e);
        if (e->pos < length) return;
        if (e->stage == ST_DECAY && e->is_volume && e->sustain >= -SILENCE_DB) {
            e->stage = ST_DONE; /* decays to an inaudible sustain: the voice is over */
            return;
        }
        e->pos -= length;
        e->stage = (e->stage == ST_RELEASE) ? ST_DONE : e->stage + 1;
        if (e->stage == ST_SUSTAIN || e->stage == ST_DONE) {
            e->pos = 0.0;
            return;
        }
    }
}

/* Modulation envelope value 0..1, or volume envelope amplitude 0..1. */
static double env_value(const Env *e) {
    double t = e->pos;
    switch (e->stage) {
    case ST_DELAY: return 0.0;
    case ST_ATTACK: return e->attack > 0.0 ? t / e->attack : 1.0;
    case ST_HOLD: return 1.0;
    case ST_DECAY:
        if (e->is_volume) return pow(10.0, (-100.0 * t / e->decay) / 20.0);
        return 1.0 - t / e->decay;
    case ST_SUSTAIN:
        return e->is_volume ? pow(10.0, -e->sustain / 20.0) : e->sustain;
    case ST_RELEASE:
        if (e->is_volume) {
            double db = e->from - 100.0 * t / (e->release > 0.0 ? e->release : 1.0);
            return pow(10.0, db / 20.0);
        }
        return e->release > 0.0 ? fmax(0.0, e->from - t / e->release) : 0.0;
    default: return 0.0;
    }
}

static void env_release(Env *e, double release) {
    double value = env_value(e);
    if (e->stage == ST_DONE) return;
    e->release = release;
    e->pos = 0.0;
    if (e->is_volume) {
        if (value <= 1e-5) { /* already below -100 dB (or not started): nothing to release */
            e->stage = ST_DONE;
            return;
        }
        e->from = 20.0 * log10(value);
    } else {
        e->from = value;
    }
    e->stage = ST_RELEASE;
}

static double lfo_value(double phase) {
    /* A triangle starting at 0 and rising: 0 -> 1 -> -1 -> 0 over one cycle. */
    if (phase < 0.25) return 4.0 * phase;
    if (phase < 0.75) return 2.0 - 4.0 * phase;
    return 4.0 * phase - 4.0;
}

static double lfo_at(double age, double delay, double freq) {
    if (age < delay || freq <= 0.0) return 0.0;
    double cycles = (age - delay) * freq;
    return lfo_value(cycles - floor(cycles));
}

/* ---- the filter ---------------------------------------------------------------- */

static void filter_coefficients(Voice *v, double fc_cents, double sample_rate) {
    /* FluidSynth's resonant low-pass: a biquad whose resonance peak is Q cB above DC,
     * with DC gain compensated by 1/sqrt(q). */
    double hz = 8.176 * pow(2.0, fc_cents / 1200.0);
    double nyquist_guard = 0.45 * sample_rate;
    if (hz > nyquist_guard) hz = nyquist_guard;
    if (hz < 5.0) hz = 5.0;
    double q_db = v->q_db - 3.01; /* Q = 0 cB is a Butterworth response */
    double q = pow(10.0, q_db / 20.0);
    double omega = 2.0 * M_PI * hz / sample_rate;
    double sin_w = sin(omega), cos_w = cos(omega);
    double alpha = sin_w / (2.0 * q);
    double a0_inv = 1.0 / (1.0 + alpha);
    double gain = 1.0 / sqrt(q);
    double b1 = (1.0 - cos_w) * a0_inv * gain;
    v->b0 = (float)(0.5 * b1);
    v->b1 = (float)b1;
    v->b2 = (float)(0.5 * b1);
    v->a1 = (float)(-2.0 * cos_w * a0_inv);
    v->a2 = (float)((1.0 - alpha) * a0_inv);
    v->last_fc = fc_cents;
}

/* ---- the per-sample loops ------------------------------------------------------- */

/* 4-point cubic (Catmull-Rom) interpolation, FluidSynth's default, by a table of 256
 * fractional positions: flat to well above linear interpolation's -3 dB point, so bright
 * samples (cymbals, hi-hats) keep their highs when played off their root key. */
#define INTERP_STEPS 256
static float interp_table[INTERP_STEPS][4] __attribute__((aligned(16)));

/* The 4-tap dot product of frames d[-1..2] with a row of the table. */
static inline __attribute__((always_inline)) float interp4(const float *d, const float *c) {
#ifdef HAVE_SSE
    __m128 p = _mm_mul_ps(_mm_loadu_ps(d - 1), _mm_load_ps(c));
    __m128 h = _mm_add_ps(p, _mm_movehl_ps(p, p));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
#else
    return c[0] * d[-1] + c[1] * d[0] + c[2] * d[1] + c[3] * d[2];
#endif
}

static void interp_table_init(void) {
    for (int i = 0; i < INTERP_STEPS; i++) {
        double x = (double)i / INTERP_STEPS;
        interp_table[i][0] = (float)(x * (-0.5 + x * (1.0 - 0.5 * x)));
        interp_table[i][1] = (float)(1.0 + x * x * (1.5 * x - 2.5));
        interp_table[i][2] = (float)(x * (0.5 + x * (2.0 - 1.5 * x)));
        interp_table[i][3] = (float)(0.5 * x * x * (x - 1.0));
    }
}

static inline __attribute__((always_inline)) float
low_pass(Voice *v, float x, float *x1, float *x2, float *y1, float *y2) {
    /* Direct form I: the recursion is one multiply-add per frame. */
    float y = v->b0 * x + v->b1 * *x1 + v->b2 * *x2 - v->a2 * *y2 - v->a1 * *y1;
    *x2 = *x1;
    *x1 = x;
    *y2 = *y1;
    *y1 = y;
    return y;
}

/* Interpolate (and, where `filtered`, low-pass) `count` frames from `pos` on, without
 * looking for loop or sample ends: the caller makes sure that every frame's neighbours
 * i0 - 1 .. i0 + 2 are the right frames. Specialized by the constant flag at each call. */
static inline __attribute__((always_inline)) uint64_t
run_frames(Voice *v, const float *restrict data, float *restrict buf, int count, uint64_t pos,
           uint64_t inc, const int filtered) {
    float x1 = v->x1, x2 = v->x2, y1 = v->y1, y2 = v->y2;
#pragma GCC unroll 2
    for (int j = 0; j < count; j++) {
        const float *d = data + (uint32_t)(pos >> 32);
        const float *c = interp_table[(uint32_t)pos >> 24];
        float x = interp4(d, c);
        if (filtered) x = low_pass(v, x, &x1, &x2, &y1, &y2);
        buf[j] = x;
        pos += inc;
    }
    v->x1 = x1;
    v->x2 = x2;
    v->y1 = y1;
    v->y2 = y2;
    return pos;
}

/* One frame near a loop's ends, where the neighbours wrap around the loop: the frame after
 * the loop's last is its first, and (once looped) the frame before its first is its last.
 * Loops are seamless even where the file does not repeat them around their ends. */
static float loop_frame(Voice *v, const float *data, uint64_t pos, int filtered) {
    const uint32_t first = (uint32_t)(v->lstart >> 32), end = (uint32_t)(v->lend >> 32);
    const uint32_t length = end - first;
    uint32_t i0 = (uint32_t)(pos >> 32);
    uint32_t before = (i0 == first && v->looped) ? end - 1 : i0 - 1;
    uint32_t i1 = i0 + 1 >= end ? i0 + 1 - length : i0 + 1;
    uint32_t i2 = i0 + 2 >= end ? i0 + 2 - length : i0 + 2;
    const float *c = interp_table[(uint32_t)pos >> 24];
    float x = c[0] * data[before] + c[1] * data[i0] + c[2] * data[i1] + c[3] * data[i2];
    if (filtered) x = low_pass(v, x, &v->x1, &v->x2, &v->y1, &v->y2);
    return x;
}

/* Make up to `count` mono frames of a voice in buf. Returns how many: fewer than
 * `count` when a sample without a loop ran out. */
static inline __attribute__((always_inline)) int
voice_frames(Voice *v, const float *restrict data, float *restrict buf, int count,
             uint64_t inc, const int filtered) {
    const uint64_t one = (uint64_t)1 << 32;
    uint64_t pos = v->pos;
    int looping = v->mode == 1 || (v->mode == 3 && !v->releasing);
    if (!looping) {
        /* Guard frames surround the sample data (silent, or the neighbouring sample as
         * FluidSynth reads it), so every frame before the end has its neighbours. */
        const uint64_t end = v->end;
        uint64_t available = pos >= end ? 0 : (end - pos + inc - 1) / inc;
        int made = available < (uint64_t)count ? (int)available : count;
        v->pos = run_frames(v, data, buf, made, pos, inc, filtered);
        return made;
    }
    const uint64_t lstart = v->lstart, lend = v->lend, length = lend - lstart;
    /* Frames from `low` up to `high` have all their neighbours inside the loop. */
    const uint64_t high = lend - 2 * one;
    int j = 0;
    while (j < count) {
        if (pos >= lend) {
            pos = lstart + (pos - lstart) % length;
            v->looped = 1;
        }
        uint64_t low = v->looped ? lstart + one : 0;
        if (pos >= low && pos < high) {
            uint64_t safe = (high - pos + inc - 1) / inc;
            int k = safe < (uint64_t)(count - j) ? (int)safe : count - j;
            pos = run_frames(v, data, buf + j, k, pos, inc, filtered);
            j += k;
        } else {
            buf[j++] = loop_frame(v, data, pos, filtered);
            pos += inc;
        }
    }
    v->pos = pos;
    return count;
}

HOT static int voice_frames_any(Voice *v, const float *restrict data, float *restrict buf,
                                int count, uint64_t inc) {
    if (v->filter_on) return voice_frames(v, data, buf, count, inc, 1);
    return voice_frames(v, data, buf, count, inc, 0);
}

/* Add a mono block into interleaved stereo, ramping the amplitude linearly. */
HOT static void mix(float *restrict out, const float *restrict buf, int count, float amp,
                    float step, float gain_l, float gain_r) {
    /* size_t indices: Python builds with -fwrapv, under which int index arithmetic
     * might wrap and would keep the compiler from vectorizing. */
    for (size_t j = 0; j < (size_t)count; j++) {
        float s = buf[j] * (amp + step * (float)(int)j);
        out[2 * j] += s * gain_l;
        out[2 * j + 1] += s * gain_r;
    }
}

static void voice_stop(VoicePool *pool, Voice *v) {
    if (v->active) {
        v->active = 0;
        pool->active--;
    }
}

static void voice_render(VoicePool *pool, Voice *v, float *out, Py_ssize_t count) {
    const float *data = (const float *)pool->samples.buf;
    float buf[SUB];
    Py_ssize_t done = 0;
    while (done < count) {
        if (v->vol.stage == ST_DONE) {
            voice_stop(pool, v);
            return;
        }
        int m = count - done > SUB ? SUB : (int)(count - done);
        if (v->vol.stage == ST_DELAY) {
            /* Nothing sounds and the sample does not move until the delay is over. */
            double left = ceil(v->vol.delay - v->vol.pos);
            int skip = left < (double)m ? (int)fmax(left, 1.0) : m;
            env_advance(&v->vol, skip);
            env_advance(&v->mod, skip);
            v->age += skip;
            done += skip;
            continue;
        }
        double menv = (v->menv_pitch != 0.0 || v->menv_fc != 0.0) ? env_value(&v->mod) : 0.0;
        double mlfo = (v->mlfo_pitch != 0.0 || v->mlfo_fc != 0.0 || v->mlfo_vol != 0.0)
                          ? lfo_at(v->age, v->mlfo_delay, v->mlfo_freq)
                          : 0.0;
        double vlfo = v->vlfo_pitch != 0.0 ? lfo_at(v->age, v->vlfo_delay, v->vlfo_freq) : 0.0;
        double cents = vlfo * v->vlfo_pitch + mlfo * v->mlfo_pitch + menv * v->menv_pitch;
        double inc = v->inc * (cents != 0.0 ? exp2(cents / 1200.0) : 1.0) * FRAC_ONE;
        uint64_t inc_fixed = inc < 1.0 ? 1 : (inc > 1e15 ? (uint64_t)1e15 : (uint64_t)inc);
        if (v->filter_on) {
            double fc = v->fc + mlfo * v->mlfo_fc + menv * v->menv_fc;
            if (fabs(fc - v->last_fc) > 0.5) filter_coefficients(v, fc, pool->sample_rate);
        }
        env_advance(&v->vol, m);
        env_advance(&v->mod, m);
        double amp_end = env_value(&v->vol);
        if (mlfo != 0.0 && v->mlfo_vol != 0.0) amp_end *= pow(10.0, mlfo * v->mlfo_vol / 200.0);
        int made = voice_frames_any(v, data, buf, m, inc_fixed);
        float amp = v->amp;
        mix(out + 2 * done, buf, made, amp, ((float)amp_end - amp) / (float)m, v->gain_l,
            v->gain_r);
        v->amp = (float)amp_end;
        v->age += m;
        done += m;
        /* From the decay on the envelope only falls: a voice whose output can no longer
         * reach -100 dBFS is over (FluidSynth stops at its noise floor the same way). */
        if (made < m || (v->vol.stage >= ST_DECAY && amp_end * v->peak_gain < 1e-5)) {
            voice_stop(pool, v);
            return;
        }
    }
}

/* ---- the Python type -------------------------------------------------------------- */

static int finite_at_least(double x, double low) { return isfinite(x) && x >= low; }

static PyObject *pool_start(VoicePool *self, PyObject *args) {
    long long id;
    int channel, excl;
    Py_buffer params;
    if (!PyArg_ParseTuple(args, "Liiy*", &id, &channel, &excl, &params)) return NULL;
    if (params.len != (Py_ssize_t)(N_PARAMS * sizeof(double))) {
        PyBuffer_Release(&params);
        PyErr_Format(PyExc_ValueError, "params must be %d float64 values", N_PARAMS);
        return NULL;
    }
    double p[N_PARAMS];
    memcpy(p, params.buf, sizeof p);
    PyBuffer_Release(&params);
    for (int i = 0; i < N_PARAMS; i++) {
        if (!isfinite(p[i])) {
            PyErr_Format(PyExc_ValueError, "params[%d] must be finite", i);
            return NULL;
        }
    }
    /* Interpolation reads one frame before and two after: guards surround the data. */
    double last = (double)(self->n_samples - 3);
    if (!(p[P_START] >= 1.0 && p[P_START] < p[P_END] && p[P_END] <= last)) {
        PyErr_Format(PyExc_ValueError, "sample span %lld..%lld must lie in 1..%lld",
                     (long long)p[P_START], (long long)p[P_END], (long long)last);
        return NULL;
    }
    int mode = (int)p[P_MODE];
    if (mode == 1 || mode == 3) {
        if (!(p[P_LSTART] >= 1.0 && p[P_LSTART] + 2.0 <= p[P_LEND] && p[P_LEND] <= last)) mode = 0;
    } else {
        mode = 0;
    }
    if (!(p[P_INC] > 0.0 && p[P_INC] < 65536.0)) {
        PyErr_SetString(PyExc_ValueError, "the increment must be in (0, 65536)");
        return NULL;
    }
    for (int i = P_VDELAY; i <= P_MRELEASE; i++) {
        if (!finite_at_least(p[i], 0.0)) {
            PyErr_Format(PyExc_ValueError, "envelope params[%d] must be >= 0", i);
            return NULL;
        }
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the voice pool is rendering in another thread");
        return NULL;
    }
    Py_ssize_t slot = -1;
    for (Py_ssize_t i = 0; i < self->capacity; i++) {
        if (!self->voices[i].active) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        /* Steal the quietest voice, preferring one that is already releasing. */
        double best = INFINITY;
        for (Py_ssize_t i = 0; i < self->capacity; i++) {
            const Voice *v = &self->voices[i];
            double level = (double)v->amp * fmax(v->gain_l, v->gain_r) - (v->releasing ? 4.0 : 0.0);
            if (level < best) {
                best = level;
                slot = i;
            }
        }
        voice_stop(self, &self->voices[slot]);
    }
    /* Times arrive in seconds and LFO rates in Hz: convert to frames of this pool. */
    const double rate = self->sample_rate;
    for (int i = P_VDELAY; i <= P_MRELEASE; i++) {
        if (i != P_VSUSTAIN && i != P_MSUSTAIN) p[i] *= rate;
    }
    p[P_MLFO_DELAY] *= rate;
    p[P_VLFO_DELAY] *= rate;
    p[P_MLFO_FREQ] /= rate;
    p[P_VLFO_FREQ] /= rate;
    Voice *v = &self->voices[slot];
    memset(v, 0, sizeof *v);
    v->active = 1;
    v->id = id;
    v->channel = channel;
    v->excl = excl;
    v->mode = mode;
    v->start = (uint64_t)p[P_START] << 32;
    v->pos = v->start;
    v->end = (uint64_t)p[P_END] << 32;
    v->lstart = mode ? (uint64_t)p[P_LSTART] << 32 : 0;
    v->lend = mode ? (uint64_t)p[P_LEND] << 32 : 0;
    v->inc = p[P_INC];
    v->gain_l = (float)p[P_GAIN_L];
    v->gain_r = (float)p[P_GAIN_R];
    v->vol = (Env){ST_DELAY, 1, 0.0, p[P_VDELAY], p[P_VATTACK], p[P_VHOLD], fmax(p[P_VDECAY], 1.0),
                   p[P_VRELEASE], p[P_VSUSTAIN], 0.0};
    v->mod = (Env){ST_DELAY, 0, 0.0, p[P_MDELAY], p[P_MATTACK], p[P_MHOLD], fmax(p[P_MDECAY], 1.0),
                   p[P_MRELEASE], fmin(fmax(p[P_MSUSTAIN], 0.0), 1.0), 0.0};
    env_advance(&v->vol, 0.0); /* skip zero-length stages */
    env_advance(&v->mod, 0.0);
    v->mlfo_delay = p[P_MLFO_DELAY];
    v->mlfo_freq = p[P_MLFO_FREQ];
    v->mlfo_pitch = p[P_MLFO_PITCH];
    v->mlfo_fc = p[P_MLFO_FC];
    v->mlfo_vol = p[P_MLFO_VOL];
    v->vlfo_delay = p[P_VLFO_DELAY];
    v->vlfo_freq = p[P_VLFO_FREQ];
    v->vlfo_pitch = p[P_VLFO_PITCH];
    v->menv_pitch = p[P_MENV_PITCH];
    v->menv_fc = p[P_MENV_FC];
    v->fc = p[P_FC];
    v->q_db = fmax(p[P_Q], 0.0) / 10.0;
    /* The filter is left out only where it would be fully open: cutoff at or above 0.45 of
     * the sample rate (where FluidSynth clamps it), no resonance and no modulation. */
    double open_hz = 8.176 * pow(2.0, v->fc / 1200.0);
    v->filter_on = !(open_hz >= 0.45 * self->sample_rate && v->q_db == 0.0 &&
                     v->mlfo_fc == 0.0 && v->menv_fc == 0.0);
    if (v->filter_on) {
        filter_coefficients(v, v->fc, self->sample_rate);
    } else {
        /* The open filter's DC gain (1/sqrt(q) at Q = 0), which FluidSynth, filtering every
         * voice, always applies: a voice is as loud whether its filter runs or not. */
        float open_gain = (float)pow(10.0, 3.01 / 40.0);
        v->gain_l *= open_gain;
        v->gain_r *= open_gain;
    }
    /* The most the voice can output besides its envelope: its gains, the sample's peak,
     * the tremolo's boost and the filter's resonance (Q dB over a DC gain of 1/sqrt(q)). */
    double headroom = pow(10.0, fabs(v->mlfo_vol) / 200.0);
    if (v->filter_on) headroom *= pow(10.0, v->q_db / 20.0) / sqrt(pow(10.0, (v->q_db - 3.01) / 20.0));
    v->peak_gain = (float)(fmax(v->gain_l, v->gain_r) * fmin(fmax(p[P_PEAK], 0.0), 1.0) * headroom);
    self->active++;
    if (self->active > self->peak) self->peak = self->active;
    return PyLong_FromSsize_t(slot);
}

static PyObject *pool_release(VoicePool *self, PyObject *args) {
    Py_ssize_t slot;
    long long id;
    if (!PyArg_ParseTuple(args, "nL", &slot, &id)) return NULL;
    if (slot < 0 || slot >= self->capacity) {
        PyErr_Format(PyExc_IndexError, "slot=%zd must be in 0..%zd", slot, self->capacity - 1);
        return NULL;
    }
    Voice *v = &self->voices[slot];
    if (v->active && v->id == id && !v->releasing) {
        v->releasing = 1;
        env_release(&v->vol, v->vol.release);
        env_release(&v->mod, v->mod.release);
    }
    Py_RETURN_NONE;
}

static PyObject *pool_choke(VoicePool *self, PyObject *args) {
    int channel, excl;
    if (!PyArg_ParseTuple(args, "ii", &channel, &excl)) return NULL;
    double fast = CHOKE_SECONDS * self->sample_rate;
    if (excl != 0) {
        for (Py_ssize_t i = 0; i < self->capacity; i++) {
            Voice *v = &self->voices[i];
            if (v->active && v->channel == channel && v->excl == excl) {
                double release = fmin(v->vol.release, fast);
                if (v->releasing && v->vol.stage == ST_RELEASE) {
                    /* Restart the release from where it is, but fast. */
                    double db = v->vol.from - 100.0 * v->vol.pos / fmax(v->vol.release, 1.0);
                    v->vol.from = db;
                    v->vol.pos = 0.0;
                    v->vol.release = release;
                } else {
                    env_release(&v->vol, release);
                    env_release(&v->mod, v->mod.release);
                }
                v->releasing = 1;
            }
        }
    }
    Py_RETURN_NONE;
}

static PyObject *pool_render(VoicePool *self, PyObject *args) {
    PyObject *target_obj;
    Py_ssize_t start, count;
    if (!PyArg_ParseTuple(args, "Onn", &target_obj, &start, &count)) return NULL;
    Py_buffer out;
    if (PyObject_GetBuffer(target_obj, &out, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) <
        0)
        return NULL;
    if (out.itemsize != 4 || out.format == NULL || strcmp(out.format, "f") != 0) {
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "out must be a writable C-contiguous float32 buffer");
        return NULL;
    }
    Py_ssize_t frames = out.len / (Py_ssize_t)(2 * sizeof(float));
    if (start < 0 || count < 0 || start > frames || count > frames - start) {
        PyBuffer_Release(&out);
        PyErr_Format(PyExc_ValueError, "frames %zd..%zd do not fit a stereo buffer of %zd frames",
                     start, start + count, frames);
        return NULL;
    }
    if (self->busy) {
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_RuntimeError, "the voice pool is rendering in another thread");
        return NULL;
    }
    self->busy = 1;
    float *target = (float *)out.buf + 2 * start;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < self->capacity && count > 0; i++) {
        if (self->voices[i].active) voice_render(self, &self->voices[i], target, count);
    }
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyBuffer_Release(&out);
    return PyLong_FromSsize_t(self->active);
}

static PyObject *pool_reset(VoicePool *self, PyObject *Py_UNUSED(ignored)) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the voice pool is rendering in another thread");
        return NULL;
    }
    memset(self->voices, 0, (size_t)self->capacity * sizeof(Voice));
    self->active = 0;
    self->peak = 0;
    Py_RETURN_NONE;
}

static PyObject *pool_get_active(VoicePool *self, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(self->active);
}

static PyObject *pool_get_peak(VoicePool *self, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(self->peak);
}

static PyObject *pool_get_capacity(VoicePool *self, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(self->capacity);
}

static int pool_init(VoicePool *self, PyObject *args, PyObject *kwds) {
    static char *keywords[] = {"samples", "sample_rate", "capacity", NULL};
    PyObject *samples;
    double sample_rate;
    Py_ssize_t capacity;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Odn", keywords, &samples, &sample_rate,
                                     &capacity))
        return -1;
    if (self->voices != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a VoicePool is initialized once");
        return -1;
    }
    if (!(sample_rate >= 1000.0 && sample_rate <= 1e6)) {
        PyErr_SetString(PyExc_ValueError, "sample_rate must be in 1000..1000000");
        return -1;
    }
    if (capacity < 1 || capacity > 65536) {
        PyErr_Format(PyExc_ValueError, "capacity=%zd must be in 1..65536", capacity);
        return -1;
    }
    if (PyObject_GetBuffer(samples, &self->samples, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    const char *format = self->samples.format;
    if (self->samples.itemsize != 4 || format == NULL || strcmp(format, "f") != 0 ||
        self->samples.len < 8 || self->samples.len / 4 >= ((Py_ssize_t)1 << 32)) {
        PyBuffer_Release(&self->samples);
        self->samples.obj = NULL;
        PyErr_SetString(PyExc_ValueError,
                        "samples must be a C-contiguous float32 buffer of 2..2**32-1 values");
        return -1;
    }
    self->n_samples = self->samples.len / 4;
    self->voices = PyMem_Calloc((size_t)capacity, sizeof(Voice));
    if (self->voices == NULL) {
        PyBuffer_Release(&self->samples);
        self->samples.obj = NULL;
        PyErr_NoMemory();
        return -1;
    }
    self->capacity = capacity;
    self->sample_rate = sample_rate;
    return 0;
}

static void pool_dealloc(VoicePool *self) {
    if (self->samples.obj != NULL) PyBuffer_Release(&self->samples);
    PyMem_Free(self->voices);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef pool_methods[] = {
    {"start", (PyCFunction)pool_start, METH_VARARGS,
     "start(id, channel, exclusive_class, params) -> slot: start a voice, stealing if full."},
    {"release", (PyCFunction)pool_release, METH_VARARGS,
     "release(slot, id): note-off for the voice in slot if it still plays note id."},
    {"choke", (PyCFunction)pool_choke, METH_VARARGS,
     "choke(channel, exclusive_class): fast-release the channel's voices of that class."},
    {"render", (PyCFunction)pool_render, METH_VARARGS,
     "render(out, start, count) -> active: add count frames at frame start of out."},
    {"reset", (PyCFunction)pool_reset, METH_NOARGS, "reset(): silence every voice at once."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef pool_getset[] = {
    {"active", (getter)pool_get_active, NULL, "voices sounding now", NULL},
    {"peak", (getter)pool_get_peak, NULL, "most voices sounding at once since reset", NULL},
    {"capacity", (getter)pool_get_capacity, NULL, "the voice limit", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject VoicePoolType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "bandmate.render._voices.VoicePool",
    .tp_basicsize = sizeof(VoicePool),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "VoicePool(samples, sample_rate, capacity): SoundFont voices rendered in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)pool_init,
    .tp_dealloc = (destructor)pool_dealloc,
    .tp_methods = pool_methods,
    .tp_getset = pool_getset,
};

static struct PyModuleDef voices_module = {
    PyModuleDef_HEAD_INIT, "_voices", "The per-sample loop of Bandmate's SoundFont synthesizer.",
    -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__voices(void) {
    interp_table_init();
    if (PyType_Ready(&VoicePoolType) < 0) return NULL;
    PyObject *module = PyModule_Create(&voices_module);
    if (module == NULL) return NULL;
    if (PyModule_AddIntConstant(module, "N_PARAMS", N_PARAMS) < 0 ||
        PyModule_AddObjectRef(module, "VoicePool", (PyObject *)&VoicePoolType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
