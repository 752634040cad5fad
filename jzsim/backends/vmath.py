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

Accuracy (tested against numpy in ``tests/test_vmath.py``): ``exp`` and ``log`` within 2 ulp;
``pow(x, y) = exp(y log|x|)`` within about ``2 + |y log x|`` ulp, i.e. about 1e-15 relative for the
exponents of a model. Special values follow C99 / numpy (``nan``, ``inf``, ``0``, negative bases
with integer exponents).

Algorithms: ``exp`` by Cody-Waite reduction ``x = k ln2 + r``, ``|r| <= ln2/2``, a degree-13
Taylor polynomial evaluated by Estrin's scheme (short dependency chains), scaled by ``2**k`` built
from its bits in two factors; ``log`` after fdlibm's ``e_log.c`` (reduction to
``[sqrt(2)/2, sqrt(2)]``, ``s = f / (2 + f)``, its degree-14 minimax polynomial). Integer
conversions use the ``1.5 * 2**52`` trick, so no int64 <-> float64 instruction (missing in AVX2)
is needed.
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
_EXP_MAX = 709.782712893384  # above: overflow to inf
_EXP_MIN = -745.1332191019412  # below: underflow to 0
_EXP_C = [1.0 / math.factorial(i) for i in range(14)]
_SQRT2 = 1.4142135623730951
_TWO54 = 18014398509481984.0
_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)
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

    def pow2(self, kf):
        """``2.0 ** kf`` for an integer-valued double ``kf`` in [-1022, 1023]."""
        b = self.b
        k = b.sub(self.as_int(b.fadd(kf, self.c(_MAGIC))), self.i(_MAGIC_BITS))
        return self.as_float(b.shl(b.add(k, self.i(1023)), self.i(52)))

    # ---------------------------------------------------------------- functions
    def exp(self, x):
        b = self.b
        xc = self.sel(self.lt(x, self.c(_EXP_MAX)), x, self.c(_EXP_MAX))  # nan -> finite: no poison
        xc = self.sel(self.gt(xc, self.c(_EXP_MIN)), xc, self.c(_EXP_MIN))
        kf = self.floor(b.fadd(b.fmul(xc, self.c(_LOG2E)), self.c(0.5)))
        nk = b.fneg(kf)
        r = self.fma(nk, self.c(_LN2_HI), xc)
        r = self.fma(nk, self.c(_LN2_LO), r)
        C = [self.c(v) for v in _EXP_C]
        r2 = b.fmul(r, r)
        r4 = b.fmul(r2, r2)
        r8 = b.fmul(r4, r4)
        pairs = [self.fma(C[i + 1], r, C[i]) for i in range(0, 14, 2)]  # c_i + c_{i+1} r
        q = [self.fma(pairs[i + 1], r2, pairs[i]) for i in range(0, 6, 2)] + [pairs[6]]
        s0 = self.fma(q[1], r4, q[0])
        s1 = self.fma(q[3], r4, q[2])
        p = self.fma(s1, r8, s0)
        k1 = self.floor(b.fmul(kf, self.c(0.5)))  # 2**k in two normal factors: k in [-1075, 1024]
        y = b.fmul(b.fmul(p, self.pow2(k1)), self.pow2(b.fsub(kf, k1)))
        y = self.sel(self.gt(x, self.c(_EXP_MAX)), self.c(_INF), y)
        y = self.sel(self.lt(x, self.c(_EXP_MIN)), self.c(0.0), y)
        return self.sel(self.isnan(x), x, y)

    def log(self, x):
        b = self.b
        sub = self.lt(x, self.c(2.2250738585072014e-308))
        xs = self.sel(sub, b.fmul(x, self.c(_TWO54)), x)  # subnormals: scale into the normal range
        bits = self.as_int(xs)
        e_bits = b.and_(b.lshr(bits, self.i(52)), self.i(0x7FF))
        m = self.as_float(b.or_(b.and_(bits, self.i(0x000FFFFFFFFFFFFF)), self.i(0x3FF0000000000000)))
        ef = b.fsub(b.fsub(self.as_float(b.add(e_bits, self.i(_MAGIC_BITS))), self.c(_MAGIC)), self.c(1023.0))
        ef = self.sel(sub, b.fsub(ef, self.c(54.0)), ef)
        big = self.gt(m, self.c(_SQRT2))
        m = self.sel(big, b.fmul(m, self.c(0.5)), m)
        ef = self.sel(big, b.fadd(ef, self.c(1.0)), ef)
        f = b.fsub(m, self.c(1.0))
        s = b.fdiv(f, b.fadd(self.c(2.0), f))
        z = b.fmul(s, s)
        w = b.fmul(z, z)
        L = [self.c(v) for v in _LG]
        t1 = b.fmul(w, self.fma(w, self.fma(w, L[5], L[3]), L[1]))
        t2 = b.fmul(z, self.fma(w, self.fma(w, self.fma(w, L[6], L[4]), L[2]), L[0]))
        R = b.fadd(t2, t1)
        hfsq = b.fmul(b.fmul(self.c(0.5), f), f)
        inner = b.fsub(b.fsub(hfsq, b.fadd(b.fmul(s, b.fadd(hfsq, R)), b.fmul(ef, self.c(_LN2_LO)))), f)
        y = b.fsub(b.fmul(ef, self.c(_LN2_HI)), inner)
        y = self.sel(self.lt(x, self.c(_INF)), y, self.c(_INF))
        neg_or_zero = self.sel(self.eq(x, self.c(0.0)), self.c(-_INF), self.c(_NAN))
        y = self.sel(self.gt(x, self.c(0.0)), y, neg_or_zero)
        return self.sel(self.isnan(x), x, y)

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
        r = self.sel(bad, self.c(_NAN), r)
        one = b.or_(self.eq(y, self.c(0.0)), self.eq(x, self.c(1.0)))
        return self.sel(one, self.c(1.0), r)


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
