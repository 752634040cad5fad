"""Vectorisable ``exp``, ``log`` and ``pow`` for the compiled kernel.

The llvmlite wheels on PyPI are built without a vector maths library (SVML), so LLVM cannot
vectorise a loop that calls ``math.exp``: every call goes to scalar libm. These functions are numba
intrinsics that emit their arithmetic straight into the caller's LLVM IR (multiplications, fused
multiply-adds, comparisons, selects and bit casts; no call, no branch), so a loop over the lanes
of a block of draws that uses them vectorises (AVX2 / AVX-512), and numba does not have to inline
a Python function at every call site (which made the compile several times slower).

Every lane computes exactly the same IEEE operations whether it runs in a vector or a scalar
instruction (``llvm.fma`` is exactly rounded wherever it runs), so results do not depend on where a
draw falls in a block or on the machine.

Accuracy (tested against numpy in ``tests/test_vmath.py``): ``exp`` and ``log`` within 2 ulp
(``log``: at most 1.03 ulp from an extended-precision reference, 2 * 10**6 arguments in [0.5, 2]);
``pow(x, y) = exp(y log|x|)`` within about ``2 + |y log x|`` ulp, i.e. about 1e-15 relative for the
exponents of a model. Special values follow C99 / numpy (``nan``, ``inf``, ``0``, negative bases
with integer exponents).

Algorithms: ``exp`` by Cody-Waite reduction ``x = k ln2 + r``, ``|r| <= ln2/2`` (``k`` rounded
to nearest by adding ``1.5 * 2**52`` in a fused multiply-add), a degree-13 Taylor polynomial
evaluated by Estrin's scheme (short dependency chains), scaled by ``2**k`` built from the bits of
``k`` in two factors; ``log`` reduces ``x = 2**k (1 + f)`` with ``1 + f`` in ``(sqrt(2)/2,
sqrt(2)]`` by integer arithmetic on the bit pattern (as fdlibm's ``e_log.c``), then
``log(1 + f) = f + f**2 Q(f)``, ``Q`` a degree-20 polynomial by Estrin's scheme (``_LQ``: Chebyshev
fit, ``mpmath.chebyfit(lambda f: (mpmath.log1p(f) - f) / f**2, [sqrt(2)/2 - 1, sqrt(2) - 1], 21)``
at 50 digits, relative error of the fit below 1e-17), with no division: fdlibm's
``s = f / (2 + f)`` put a division, the slowest operation, on every logarithm's dependency chain.
Integer conversions use the ``1.5 * 2**52`` trick, so no int64 <-> float64 instruction (missing in
AVX2) is needed. Special values are chosen apart from the arithmetic and enter with one select
at the end (``exp``: none; its clamps let NaN through, and overflow and underflow come out of the
scaling), which keeps the dependency chains short: in the compiled kernel these functions are
bound by latency, not by instruction count. (What these choices gained, measured, is in the
design log of ``benchmarks/README.md``.)
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_D = ir.DoubleType()
_I = ir.IntType(64)

_MAGIC = 6755399441055744.0  # 1.5 * 2**52: adding it puts an integer-valued float's value in the low bits
_MAGIC_BITS = 0x4338000000000000
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10
_EXP_HI = 710.0  # exp is inf from 709.782712893384 up
_EXP_LO = -746.0  # and 0 from -745.1332191019412 down
_EXP_C = [1.0 / math.factorial(i) for i in range(14)]
_LOG_LOW = 0x3FE6A09E667F3BCD + 1  # bit pattern of the least double above sqrt(2)/2
_TWO54 = 18014398509481984.0
_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
_LQ = (
    -0.5,
    0.3333333333333337,
    -0.24999999999999434,
    0.19999999999975535,
    -0.16666666666809152,
    0.14285714290226392,
    -0.12499999988229632,
    0.1111111072996344,
    -0.10000000293648051,
    0.09090926519529235,
    -0.08333341859605121,
    0.07691846251495121,
    -0.07142178144931366,
    0.06673746435165462,
    -0.06266871141028912,
    0.05825070238646302,
    -0.053492389973253424,
    0.054081381753003616,
    -0.06207496038793952,
    0.05647814073538777,
    -0.02432617491821441,
)
_INF = math.inf
_NAN = math.nan


class _IR:
    """Small helpers over an ``IRBuilder`` for double arithmetic."""

    def __init__(self, builder: ir.IRBuilder):
        self.b = builder
        mod = builder.module
        self._floor = mod.declare_intrinsic("llvm.floor", [_D], ir.FunctionType(_D, [_D]))
        self._fabs = mod.declare_intrinsic("llvm.fabs", [_D], ir.FunctionType(_D, [_D]))

    def c(self, v: float):
        return ir.Constant(_D, v)

    def i(self, v: int):
        return ir.Constant(_I, v)

    def fma(self, a, b, c):
        return self.b.fma(a, b, c)

    def floor(self, a):
        return self.b.call(self._floor, [a])

    def sel(self, cond, a, b):
        return self.b.select(cond, a, b)

    def lt(self, a, b):
        return self.b.fcmp_ordered("<", a, b)

    def gt(self, a, b):
        return self.b.fcmp_ordered(">", a, b)

    def eq(self, a, b):
        return self.b.fcmp_ordered("==", a, b)

    def isnan(self, a):
        return self.b.fcmp_unordered("uno", a, a)

    def as_int(self, a):
        return self.b.bitcast(a, _I)

    def as_float(self, a):
        return self.b.bitcast(a, _D)

    def pow2i(self, k):
        """``2.0 ** k`` for an int64 ``k`` in [-1022, 1023]."""
        b = self.b
        return self.as_float(b.shl(b.add(k, self.i(1023)), self.i(52)))

    # ---------------------------------------------------------------- functions
    def exp(self, x):
        b = self.b
        # Clamped to [-746, 710], beyond which exp is 0 or inf anyway; NaN passes (ordered
        # comparisons are false for it) and propagates through the arithmetic to the result.
        xc = self.sel(self.gt(x, self.c(_EXP_HI)), self.c(_EXP_HI), x)
        xc = self.sel(self.lt(xc, self.c(_EXP_LO)), self.c(_EXP_LO), xc)
        kd = self.fma(xc, self.c(_LOG2E), self.c(_MAGIC))  # k = round(x / ln2) in the low bits
        kf = b.fsub(kd, self.c(_MAGIC))
        r = self.fma(kf, self.c(-_LN2_HI), xc)
        r = self.fma(kf, self.c(-_LN2_LO), r)
        C = [self.c(v) for v in _EXP_C]
        r2 = b.fmul(r, r)
        r4 = b.fmul(r2, r2)
        r8 = b.fmul(r4, r4)
        pairs = [self.fma(C[i + 1], r, C[i]) for i in range(0, 14, 2)]  # c_i + c_{i+1} r
        q = [self.fma(pairs[i + 1], r2, pairs[i]) for i in range(0, 6, 2)] + [pairs[6]]
        s0 = self.fma(q[1], r4, q[0])
        s1 = self.fma(q[3], r4, q[2])
        p = self.fma(s1, r8, s0)
        # 2**k in two normal factors, k in [-1076, 1024]: p * 2**k1 is exact and the second
        # product rounds once, to inf, a subnormal or 0 where the result is out of the normal range
        k = b.sub(self.as_int(kd), self.i(_MAGIC_BITS))
        k1 = b.ashr(k, self.i(1))
        return b.fmul(b.fmul(p, self.pow2i(k1)), self.pow2i(b.sub(k, k1)))

    def log(self, x):
        b = self.b
        sub = self.lt(x, self.c(2.2250738585072014e-308))
        xs = self.sel(sub, b.fmul(x, self.c(_TWO54)), x)  # subnormals: scale into the normal range
        bits = self.as_int(xs)
        # x = m * 2**k with m in (sqrt(2)/2, sqrt(2)]: the bit patterns of that interval are the
        # 2**52 integers from _LOG_LOW on, so k and m come from integer arithmetic alone
        t = b.sub(bits, self.i(_LOG_LOW))
        k = b.ashr(t, self.i(52))
        m = self.as_float(b.sub(bits, b.shl(k, self.i(52))))
        k = b.sub(k, b.select(sub, self.i(54), self.i(0)))
        ef = b.fsub(self.as_float(b.add(k, self.i(_MAGIC_BITS))), self.c(_MAGIC))  # float(k), |k| < 2**51
        f = b.fsub(m, self.c(1.0))  # exact: m in (sqrt(2)/2, sqrt(2)]
        # log(1 + f) = f + f**2 * Q(f), Q a degree-20 polynomial by Estrin's scheme: no division,
        # short dependency chains
        f2 = b.fmul(f, f)
        f4 = b.fmul(f2, f2)
        f8 = b.fmul(f4, f4)
        f16 = b.fmul(f8, f8)
        C = [self.c(v) for v in _LQ]
        p = [self.fma(C[i + 1], f, C[i]) for i in range(0, 20, 2)] + [C[20]]  # 11 terms, in f**2
        p = [self.fma(p[i + 1], f2, p[i]) for i in range(0, 10, 2)] + [p[10]]  # 6, in f**4
        p = [self.fma(p[i + 1], f4, p[i]) for i in range(0, 6, 2)]  # 3, in f**8
        p = [self.fma(p[1], f8, p[0]), p[2]]  # 2, in f**16
        q = self.fma(p[1], f16, p[0])
        # k ln2 + f + f**2 Q: hi = k * _LN2_HI is exact and |hi| >= |f| unless k = 0, so
        # hi + f = s + err exactly (Fast2Sum, in parallel with Q); the small terms go in before s
        hi = b.fmul(ef, self.c(_LN2_HI))
        s = b.fadd(hi, f)
        err = b.fsub(f, b.fsub(s, hi))
        lo = self.fma(f2, q, b.fmul(ef, self.c(_LN2_LO)))
        y = b.fadd(s, b.fadd(err, lo))
        # special values, chosen apart from the arithmetic: one select on its result
        special = self.sel(self.isnan(x), x, self.c(_NAN))  # NaN stays itself; x < 0 gives NaN
        special = self.sel(self.eq(x, self.c(_INF)), self.c(_INF), special)
        special = self.sel(self.eq(x, self.c(0.0)), self.c(-_INF), special)
        finite_positive = b.and_(self.gt(x, self.c(0.0)), self.lt(x, self.c(_INF)))
        return self.sel(finite_positive, y, special)

    def pow(self, x, y):
        b = self.b
        ax = b.call(self._fabs, [x])
        r = self.exp(b.fmul(y, self.log(ax)))
        yint = self.eq(self.floor(y), y)
        half = b.fmul(y, self.c(0.5))
        yodd = b.and_(yint, self.b.fcmp_ordered("!=", self.floor(half), half))
        neg = self.lt(x, self.c(0.0))
        r = self.sel(b.and_(neg, yodd), b.fneg(r), r)
        bad = b.and_(b.and_(neg, b.not_(yint)), self.lt(ax, self.c(_INF)))
        one = b.or_(self.eq(y, self.c(0.0)), self.eq(x, self.c(1.0)))
        fixed = self.sel(one, self.c(1.0), self.c(_NAN))  # 1 wins over NaN, as before
        return self.sel(b.or_(one, bad), fixed, r)


@intrinsic
def vexp(typingctx, x):
    """``exp(x)`` for a float64, emitted inline (see the module docstring)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return _IR(builder).exp(args[0])

    return types.float64(types.float64), codegen


@intrinsic
def vlog(typingctx, x):
    """Natural logarithm of a float64, emitted inline (see the module docstring)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return _IR(builder).log(args[0])

    return types.float64(types.float64), codegen


@intrinsic
def vpow(typingctx, x, y):
    """``x ** y`` for float64s, emitted inline (see the module docstring)."""
    if x != types.float64 or y != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return _IR(builder).pow(args[0], args[1])

    return types.float64(types.float64, types.float64), codegen


@intrinsic
def prefer_wide_vectors(typingctx):
    """Let LLVM vectorise the calling function with the widest vectors the CPU has.

    LLVM's x86 tuning prefers 256-bit vectors even on AVX-512 machines (``prefer-256-bit``), to
    avoid the clock drop that 512-bit instructions cause on some chips. The lane loops of the
    kernel are long and bound by instruction latency, so 512-bit vectors run them about 1.4x faster
    (measured on the plan model). This sets the function attribute ``"prefer-vector-width"="512"``
    (what clang's ``-mprefer-vector-width=512`` does); on a CPU without AVX-512 it changes nothing.
    Emits no instruction.
    """

    def codegen(context, builder, signature, args):
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')  # a string attribute llvmlite does not list
        return context.get_dummy_value()

    return types.none(), codegen
