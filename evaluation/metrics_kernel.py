"""Compiled per-video mask geometry: every quantity the paper metrics need, in one pass per video.

``video_geometry(pred, gt)`` returns, for ``bool [T, H, W]`` masks, per frame: pixel counts,
integer coordinate sums (the centroids), the intersection count (IoU) and the two directed mean
nearest-pixel distances (Chamfer), bit-identical to the released per-frame definitions
(``evaluation.metrics_reference``: ``argwhere`` + ``np.mean``, two ``cKDTree`` s and
``.mean()``).

How the cost stays independent of how far apart the two masks are:

- Bounding boxes come from one scan of 8-pixel words per row (empty rows cost 1/8 of a byte
  loop); everything after that runs inside each mask's *own* box, never their union.
- Directed distances A→B are an exact separable distance transform of B evaluated only at A's
  pixels (Felzenszwalb & Huttenlocher's lower envelope of parabolas): per column of B's box the
  vertical distance to B for A's rows (inside B's rows from a two-pass scan of B's box, outside
  them from the column's first / last B pixel), then per row of A one lower envelope over B's
  columns, queried at A's pixels. Cost O(h_A · (w_A + w_B) + h_B · w_B) per frame, all integer
  arithmetic (squared distances are exact integers; comparisons of the envelope's breakpoints
  are cross-multiplied).
- The per-frame mean sums the distances of A's pixels in row-major order (zeros for pixels
  inside B) with numpy's pairwise summation, reproduced here, so the mean equals
  ``cKDTree(...).query(...)[0].mean()`` bit for bit.

Needs numba (``requirements/core.txt``); ``evaluation.metrics`` falls back to its numpy / OpenCV
path, with the same values, when numba does not import.
"""

from __future__ import annotations

import math
import os
import threading

import numba
import numpy as np

_BIG = np.int64(1) << 40  # "no pixel in this column"


@numba.njit(cache=True, nogil=True)
def _block_sum(a, lo, n):
    """Leaf of numpy's pairwise sum: a plain loop below 8 values, else 8 accumulators."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - (n % 8)
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True, nogil=True)
def _pairwise_block(a, lo, n):
    """Numpy's pairwise summation of ``a[lo:lo + n]``.

    As ``pairwise_sum_DOUBLE``: leaves of at most 128 values, halves split at a multiple of 8;
    evaluated with an explicit stack (numba's cache does not support recursive functions).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    los = np.empty(64, np.int64)
    ns = np.empty(64, np.int64)
    state = np.empty(64, np.int64)
    vals = np.empty(64, np.float64)
    top, nv = 0, 0
    los[0], ns[0], state[0] = lo, n, 0
    while top >= 0:
        start, m = los[top], ns[top]
        if m <= 128:
            vals[nv] = _block_sum(a, start, m)
            nv += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if state[top] == 0:
            state[top] = 1
            top += 1
            los[top], ns[top], state[top] = start, half, 0
        elif state[top] == 1:
            state[top] = 2
            top += 1
            los[top], ns[top], state[top] = start + half, m - half, 0
        else:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
            top -= 1
    return vals[0]


_NUMPY_BUFSIZE = 8192  # np.add.reduce sums a long array in chunks of the ufunc buffer size


@numba.njit(cache=True, nogil=True)
def _pairwise_sum(a, n):
    """``np.add.reduce(a[:n])`` bit for bit: pairwise sums of 8192-value chunks, added in order."""
    res = 0.0
    for lo in range(0, n, _NUMPY_BUFSIZE):
        res += _pairwise_block(a, lo, min(_NUMPY_BUFSIZE, n - lo))
    return res


@numba.njit(cache=True, nogil=True)
def _box(m, words, t, colbuf):
    """Bounding box (y0, y1, x0, x1) of frame ``t`` (y0 = -1 when empty), scanning 8-pixel words."""
    h, w = m.shape[1], m.shape[2]
    nw = words.shape[2]
    y0, y1 = -1, -1
    for k in range(nw):
        colbuf[k] = 0
    for y in range(h):
        acc = np.uint64(0)
        for k in range(nw):
            acc |= words[t, y, k]
        if nw * 8 < w:  # the tail that does not fill a word (only when no word view exists)
            for x in range(nw * 8, w):
                if m[t, y, x]:
                    acc |= np.uint64(1)
        if acc != 0:
            if y0 < 0:
                y0 = y
            y1 = y + 1
            for k in range(nw):
                colbuf[k] |= words[t, y, k]
    if y0 < 0:
        return -1, -1, -1, -1
    x0, x1 = w, 0
    if nw * 8 >= w:
        for k in range(nw):
            v = colbuf[k]
            if v != 0:
                for b in range(8):
                    if (v >> np.uint64(8 * b)) & np.uint64(0xFF):
                        x = 8 * k + b
                        if x < x0:
                            x0 = x
                        if x + 1 > x1:
                            x1 = x + 1
    else:  # no word view: columns from the rows that hold pixels
        for y in range(y0, y1):
            for x in range(w):
                if m[t, y, x]:
                    if x < x0:
                        x0 = x
                    if x + 1 > x1:
                        x1 = x + 1
    return y0, y1, x0, x1


@numba.njit(cache=True, nogil=True)
def _scan(m, box, top, bot):
    """Count, coordinate sums, and per column of ``box`` the first / last row holding a pixel (-1: none)."""
    y0, y1, x0, x1 = box
    w = x1 - x0
    for j in range(w):
        top[j] = -1
        bot[j] = -1
    c, sx, sy = 0, 0, 0
    for y in range(y0, y1):
        row = m[y, x0:x1]
        rc, rsx = 0, 0
        for j in range(w):
            v = np.int64(row[j])
            rc += v
            rsx += v * j
            bot[j] = y if v else bot[j]
            top[j] = y if (v and top[j] < 0) else top[j]
        c += rc
        sx += rsx + rc * x0
        sy += rc * y
    return c, sx, sy


@numba.njit(cache=True, nogil=True)
def _intersection(p, g, pbox, gbox):
    y0, y1 = max(pbox[0], gbox[0]), min(pbox[1], gbox[1])
    x0, x1 = max(pbox[2], gbox[2]), min(pbox[3], gbox[3])
    c = 0
    for y in range(y0, y1):
        pr, gr = p[y], g[y]
        for x in range(x0, x1):
            c += np.int64(pr[x] & gr[x])
    return c


@numba.njit(cache=True, nogil=True)
def _running_minima(f, start, stop, step, cand, nc):
    """Append the strict running minima of ``f`` over ``range(start, stop, step)`` to ``cand[nc:]``.

    Stops at a 0 (nothing can be below it); returns the new count.
    """
    best = _BIG
    for j in range(start, stop, step):
        if f[j] < best:
            best = f[j]
            cand[nc] = j
            nc += 1
            if best == 0:
                break
    return nc


@numba.njit(cache=True, nogil=True)
def _directed_mean(a, b, abox, bbox, top, bot, dv, nxt, cand, env_v, env_h, env_zn, env_zd, f, drow, buf):
    """Mean over A's pixels of the distance to the nearest pixel of B (one frame, 2-D arrays), exactly.

    ``top`` / ``bot``: B's first / last row per column of its box (from :func:`_scan`).
    """
    ay0, ay1, ax0, ax1 = abox
    by0, by1, bx0, bx1 = bbox
    wa, wb = ax1 - ax0, bx1 - bx0
    # vertical distance to B inside B's box, only for the rows A shares with it: a downward pass
    # (distance to the last B pixel at or above) and an upward one (to the next at or below)
    r0, r1 = max(ay0, by0), min(ay1, by1)
    if r0 < r1:
        for j in range(wb):
            nxt[j] = -1
        for y in range(by0, r1):
            brow = b[y, bx0:bx1]
            for j in range(wb):
                nxt[j] = y if brow[j] else nxt[j]
            if y >= r0:
                drv = dv[y - r0, :wb]
                for j in range(wb):
                    drv[j] = _BIG if nxt[j] < 0 else y - nxt[j]
        for j in range(wb):
            nxt[j] = -1
        for y in range(by1 - 1, r0 - 1, -1):
            brow = b[y, bx0:bx1]
            for j in range(wb):
                nxt[j] = y if brow[j] else nxt[j]
            if y < r1:
                drv = dv[y - r0, :wb]
                for j in range(wb):
                    d = _BIG if nxt[j] < 0 else nxt[j] - y
                    drv[j] = d if d < drv[j] else drv[j]
    n = 0
    for y in range(ay0, ay1):
        arow, brow = a[y, ax0:ax1], b[y, ax0:ax1]  # zero-based loops below: no index wrap-around tests
        rc, out = 0, 0
        for i in range(wa):
            v = np.int64(arow[i])
            rc += v
            out += v & (1 - np.int64(brow[i]))
        if out == 0:  # every pixel of A in this row lies in B
            for i in range(rc):
                buf[n + i] = 0.0
            n += rc
            continue
        # f(q) = squared vertical distance from row y to B in column q (one vectorised pass)
        if y < by0:
            for j in range(wb):
                d = top[j] - y
                f[j] = _BIG if top[j] < 0 else d * d
        elif y >= by1:
            for j in range(wb):
                d = y - bot[j]
                f[j] = _BIG if top[j] < 0 else d * d
        else:
            drv = dv[y - r0, :wb]
            for j in range(wb):
                d = drv[j]
                f[j] = _BIG if d >= _BIG else d * d
        # A column left of A's box can be nearest to one of A's pixels only if its f is below
        # that of every B column between it and the box (those are closer in x for every query):
        # walk outward from the box keeping the strict running minima, and stop once one is 0.
        # Same on the right; every column inside A's range is a candidate.
        nc = _running_minima(f, min(ax0, bx1) - 1 - bx0, -1, -1, cand, 0)
        for i in range(nc // 2):  # collected right to left: put in increasing order
            cand[i], cand[nc - 1 - i] = cand[nc - 1 - i], cand[i]
        for j in range(max(ax0, bx0) - bx0, min(ax1, bx1) - bx0):
            if f[j] < _BIG:
                cand[nc] = j
                nc += 1
        nc = _running_minima(f, max(ax1, bx0) - bx0, wb, 1, cand, nc)
        # lower envelope of the parabolas (x - q)^2 + f(q) over the candidates, exact integer tests
        # (h = f(q) + q^2; breakpoint with the previous parabola v: z = (h_q - h_v) / (2 (q - v)))
        k = -1
        for c in range(nc):
            q = bx0 + cand[c]
            hq = f[cand[c]] + q * q
            while k > 0:
                num = hq - env_h[k]
                den = 2 * (q - env_v[k])
                if num * env_zd[k] <= env_zn[k] * den:  # the new parabola hides v: s <= z[k]
                    k -= 1
                else:
                    break
            k += 1
            if k > 0:
                env_zn[k] = hq - env_h[k - 1]
                env_zd[k] = 2 * (q - env_v[k - 1])
            env_v[k] = q
            env_h[k] = hq
        # the envelope at every column of A's box, one segment at a time (parabola k is the lowest
        # from the first integer x above its breakpoint), then a branch-free pick of A's pixels
        start = 0
        for seg in range(k + 1):
            if seg < k:
                end = env_zn[seg + 1] // env_zd[seg + 1] + 1 - ax0  # first x past breakpoint seg + 1
                end = min(max(end, start), wa)
            else:
                end = wa
            v = env_v[seg]
            fv = env_h[seg] - v * v
            for i in range(start, end):
                dx = ax0 + i - v
                drow[i] = dx * dx + fv
            start = end
        for i in range(wa):
            buf[n] = drow[i] * (1 - np.int64(brow[i]))  # squared distance, 0 inside B
            n += np.int64(arow[i])
    for i in range(n):  # a loop the compiler vectorises (sqrt of 0 is 0: pixels inside B)
        buf[i] = math.sqrt(buf[i])
    return _pairwise_sum(buf, n) / n


@numba.njit(cache=True, nogil=True)
def _frames(pd, gt, pd_words, gt_words, t0, t1, ws, dv, buf, counts, sums, inter, chamfer, with_chamfer):
    """Frames ``t0 .. t1 - 1``, with one chunk's scratch arrays (distance transforms only ``with_chamfer``)."""
    h, w = gt.shape[1], gt.shape[2]
    colbuf = np.zeros(max(gt_words.shape[2], 1), np.uint64)
    ptop, pbot, gtop, gbot, nxt, cand, env_v, env_h, env_zn, env_zd, f = (
        ws[0],
        ws[1],
        ws[2],
        ws[3],
        ws[4],
        ws[5],
        ws[6],
        ws[7],
        ws[8],
        ws[9],
        ws[10],
    )
    drow = buf[h * w + 1 :]
    for t in range(t0, t1):
        p, g = pd[t], gt[t]
        pbox = _box(pd, pd_words, t, colbuf)
        gbox = _box(gt, gt_words, t, colbuf)
        if pbox[0] >= 0:
            counts[t, 0], sums[t, 0, 0], sums[t, 0, 1] = _scan(p, pbox, ptop, pbot)
        if gbox[0] >= 0:
            counts[t, 1], sums[t, 1, 0], sums[t, 1, 1] = _scan(g, gbox, gtop, gbot)
        if pbox[0] < 0 or gbox[0] < 0:
            continue
        inter[t] = _intersection(p, g, pbox, gbox)
        if not with_chamfer:
            continue
        # a direction whose pixels all lie in the other mask has mean distance 0 (a sum of zeros)
        if counts[t, 1] == inter[t]:
            chamfer[t, 0] = 0.0
        else:
            chamfer[t, 0] = _directed_mean(
                g, p, gbox, pbox, ptop, pbot, dv, nxt, cand, env_v, env_h, env_zn, env_zd, f, drow, buf
            )
        if counts[t, 0] == inter[t]:
            chamfer[t, 1] = 0.0
        else:
            chamfer[t, 1] = _directed_mean(
                p, g, pbox, gbox, gtop, gbot, dv, nxt, cand, env_v, env_h, env_zn, env_zd, f, drow, buf
            )


@numba.njit(cache=True, nogil=True)
def _outputs(t_len):
    counts = np.zeros((t_len, 2), np.int64)  # pred, gt
    sums = np.zeros((t_len, 2, 2), np.int64)  # pred/gt × (sum x, sum y)
    inter = np.zeros(t_len, np.int64)
    chamfer = np.full((t_len, 2), np.nan)  # gt→pred, pred→gt
    return counts, sums, inter, chamfer


@numba.njit(cache=True, nogil=True)
def _finish(counts, sums, inter, chamfer):
    t_len = counts.shape[0]
    # the per-frame quantities the metrics use, so that no numpy call follows (those cost more
    # than the kernel's arithmetic when the caches are cold, as they are after loading a video)
    cent = np.empty((t_len, 2, 2))  # pred/gt × (x, y); NaN where empty
    iou = np.empty(t_len)
    present = np.empty((t_len, 2), np.bool_)
    for t in range(t_len):
        for k in range(2):
            present[t, k] = counts[t, k] > 0
            for c in range(2):
                cent[t, k, c] = sums[t, k, c] / counts[t, k] if counts[t, k] > 0 else np.nan
        union = counts[t, 0] + counts[t, 1] - inter[t]
        iou[t] = 1.0 if union == 0 else inter[t] / union
    return cent, iou, chamfer, present


@numba.njit(cache=True, nogil=True)
def _geometry_serial(pd, gt, pd_words, gt_words, ws, dv, buf, with_chamfer):
    counts, sums, inter, chamfer = _outputs(gt.shape[0])
    _frames(
        pd, gt, pd_words, gt_words, 0, gt.shape[0], ws[0], dv[0], buf[0], counts, sums, inter, chamfer, with_chamfer
    )
    return _finish(counts, sums, inter, chamfer)


@numba.njit(cache=True, nogil=True, parallel=True)
def _geometry_parallel(pd, gt, pd_words, gt_words, ws, dv, buf, with_chamfer):
    t_len = gt.shape[0]
    counts, sums, inter, chamfer = _outputs(t_len)
    chunks = ws.shape[0]  # contiguous runs of frames, one per thread, each with its own scratch
    for c in numba.prange(chunks):
        t0, t1 = c * t_len // chunks, (c + 1) * t_len // chunks
        _frames(pd, gt, pd_words, gt_words, t0, t1, ws[c], dv[c], buf[c], counts, sums, inter, chamfer, with_chamfer)
    return _finish(counts, sums, inter, chamfer)


@numba.njit(cache=True, nogil=True)
def nanmean(x):
    """``np.nanmean`` of a 1-D float array, bit for bit.

    NaNs replaced by 0, numpy's pairwise sum of all values, divided by the count of the others;
    NaN when there are none.
    """
    vals = np.empty(x.shape[0])
    n = 0
    for i in range(x.shape[0]):
        nan = np.isnan(x[i])
        vals[i] = 0.0 if nan else x[i]
        n += 0 if nan else 1
    return _pairwise_sum(vals, x.shape[0]) / n if n else np.nan


def _words(m: np.ndarray) -> np.ndarray:
    """``uint64 [T, H, W // 8]`` view of a C-contiguous ``uint8 [T, H, W]`` when W is a multiple of 8, else empty."""
    t, h, w = m.shape
    if w % 8 == 0 and w > 0:
        return m.view(np.uint64)
    return np.zeros((t, h, 0), np.uint64)


_WORKSPACE = threading.local()
_THREADS = 1  # one thread unless asked: an evaluation runs one process per core over the videos


def set_threads(n: int | None) -> None:
    """Threads that share one video's frames: 1 (the default), ``n``, or None for one per core.

    More than one pays off for a single long video; numba's thread pool costs ~0.2 s to start
    and stop, so a run over many videos uses processes instead (``evaluation.core.batch``).
    """
    global _THREADS
    _THREADS = n


def default_threads() -> int:
    """The machine's cores, or ``NUMBA_NUM_THREADS`` when set.

    Read at each call: a worker process of ``evaluation.core.batch`` sets it to 1 before it scores.
    """
    env = os.environ.get("NUMBA_NUM_THREADS", "")
    return max(1, int(env)) if env.isdigit() else numba.config.NUMBA_NUM_THREADS


def _threads() -> int:
    return default_threads() if _THREADS is None else max(1, min(_THREADS, default_threads()))


def _workspace(chunks: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scratch arrays for ``chunks`` runs of ``h × w`` frames, kept per calling thread.

    Allocating them per call would cost page faults.
    """
    cache = _WORKSPACE.__dict__
    if cache.get("shape") != (chunks, h, w):
        cache["shape"] = (chunks, h, w)
        cache["arrays"] = (
            np.empty((chunks, 11, w + 1), np.int64),  # per-column rows / candidates / envelope
            np.empty((chunks, h, w), np.int64),  # vertical distances
            np.empty((chunks, h * w + 1 + w), np.float64),  # squared distances of a frame's pixels, a row
        )
    return cache["arrays"]


def video_geometry(
    pred: np.ndarray, gt: np.ndarray, chamfer: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame geometry of two ``bool [T, H, W]`` masks (``chamfer=False``: no distance transforms, chamfer all NaN).

    Returns:
        ``centroids float64 [T, 2, 2]`` (pred/gt × (x, y), NaN where the mask is empty; the
        integer coordinate sums divided once by the count, as ``np.mean(argwhere)``), ``iou float64
        [T]`` (both empty: 1), ``chamfer float64 [T, 2]`` (mean nearest distance gt→pred,
        pred→gt; NaN where either mask is empty) and ``present bool [T, 2]`` (pred, gt non-empty).
    """
    p = np.ascontiguousarray(pred, dtype=bool).view(np.uint8)
    g = np.ascontiguousarray(gt, dtype=bool).view(np.uint8)
    threads = _threads() if threading.current_thread() is threading.main_thread() else 1
    chunks = max(1, min(threads, g.shape[0]))
    run = _geometry_parallel if chunks > 1 else _geometry_serial
    return run(p, g, _words(p), _words(g), *_workspace(chunks, *g.shape[1:]), chamfer)
