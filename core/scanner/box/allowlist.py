"""What a scanner may reach of each module: an explicit allow-list of attribute names, per module path.

The modules a scanner sees (`pd`, `np`, `numpy`, `talib`, `math`, `datetime` by `import`, `statistics`) are
read-only views (box/views.py) that expose exactly these names and nothing else: no submodule that is not listed
here as a module of its own, no reader or writer of files, no evaluator, no `info`/`test`/`show_versions`, no way
back to `sys.modules`. A name listed here that the installed version lacks is simply absent. Pure data: the host's
validator reads it too (docs/scanners.md lists it for users; tests/scanner/test_namespace_walk.py proves it).
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NUMPY = _words(
    # constants and scalar types
    "nan inf pi e euler_gamma newaxis ndarray dtype generic number integer signedinteger unsignedinteger floating "
    "complexfloating bool_ bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 intp uintp float16 float32 "
    "float64 longdouble complex64 complex128 datetime64 timedelta64 str_ iinfo finfo errstate "
    # creation and shape
    "array asarray asanyarray ascontiguousarray arange linspace logspace geomspace zeros zeros_like ones ones_like "
    "full full_like empty empty_like eye identity copy fromiter meshgrid tri tril triu diag diagonal reshape ravel "
    "transpose concatenate stack vstack hstack dstack column_stack split array_split atleast_1d atleast_2d squeeze "
    "expand_dims flip fliplr flipud roll repeat tile append insert delete broadcast_to broadcast_arrays "
    "broadcast_shapes swapaxes moveaxis shape ndim size "
    # element-wise maths (ufuncs)
    "abs absolute add subtract multiply divide true_divide floor_divide power float_power mod remainder fmod divmod "
    "negative positive sign sqrt cbrt square exp exp2 expm1 log log2 log10 log1p logaddexp sin cos tan arcsin "
    "arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh hypot floor ceil trunc rint round around fabs "
    "maximum minimum fmax fmin clip greater greater_equal less less_equal equal not_equal logical_and logical_or "
    "logical_not logical_xor isnan isinf isfinite isnat signbit copysign reciprocal deg2rad rad2deg degrees radians "
    "heaviside gcd lcm "
    # reductions and statistics
    "sum prod cumsum cumprod mean average median std var min max amin amax ptp argmin argmax nanmin nanmax "
    "nanmean nanmedian nanstd nanvar nansum nanprod nanargmin nanargmax nancumsum nancumprod percentile "
    "nanpercentile quantile nanquantile all any count_nonzero corrcoef cov histogram histogram_bin_edges bincount "
    "digitize "
    # selection, sorting, sets, linear algebra, interpolation, dates
    "where select choose piecewise diff ediff1d gradient convolve correlate polyfit polyval interp searchsorted "
    "sort argsort lexsort partition argpartition unique union1d intersect1d setdiff1d isin nonzero flatnonzero "
    "argwhere extract nan_to_num isclose allclose array_equal dot vdot inner outer cross matmul trapezoid "
    "apply_along_axis vectorize busday_offset busday_count is_busday busdaycalendar datetime_as_string "
    # sub-namespaces, themselves views below
    "lib linalg"
)
NUMPY_LIB = ("stride_tricks",)
NUMPY_STRIDE_TRICKS = ("sliding_window_view",)
NUMPY_LINALG = _words("norm lstsq solve inv pinv det eig eigh eigvals eigvalsh matrix_rank qr svd cholesky")

PANDAS = _words(
    "DataFrame Series Index DatetimeIndex TimedeltaIndex PeriodIndex RangeIndex MultiIndex CategoricalIndex "
    "IntervalIndex Timestamp Timedelta Period Interval NaT NA NamedAgg Grouper DateOffset Categorical IndexSlice "
    "CategoricalDtype DatetimeTZDtype concat merge merge_asof merge_ordered to_datetime to_numeric to_timedelta "
    "date_range bdate_range timedelta_range period_range interval_range isna isnull notna notnull cut qcut unique "
    "factorize crosstab pivot pivot_table melt wide_to_long get_dummies infer_freq offsets"
)
PANDAS_OFFSETS = _words(
    "BDay BusinessDay CDay CustomBusinessDay Day Hour Minute Second Week WeekOfMonth LastWeekOfMonth MonthBegin "
    "MonthEnd BMonthBegin BMonthEnd BusinessMonthBegin BusinessMonthEnd SemiMonthBegin SemiMonthEnd QuarterBegin "
    "QuarterEnd BQuarterBegin BQuarterEnd YearBegin YearEnd BYearBegin BYearEnd DateOffset Easter"
)
MATH = _words(
    "acos acosh asin asinh atan atan2 atanh cbrt ceil comb copysign cos cosh degrees dist e erf erfc exp exp2 expm1 "
    "fabs factorial floor fmod frexp fsum gamma gcd hypot inf isclose isfinite isinf isnan isqrt lcm ldexp lgamma "
    "log log10 log1p log2 modf nan nextafter perm pi pow prod radians remainder sin sinh sqrt tan tanh tau trunc "
    "ulp"
)
DATETIME = ("datetime", "date", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR")
STATISTICS = _words(
    "mean fmean geometric_mean harmonic_mean median median_low median_high median_grouped mode multimode pstdev "
    "pvariance stdev variance quantiles correlation covariance linear_regression NormalDist StatisticsError"
)
# `talib`: every TA-Lib function (found at run time from talib.get_functions()) plus these.
TALIB_EXTRAS = ("MA_Type", "get_functions", "get_function_groups")

# Module path -> the names it exposes. A name that is itself a key here (numpy.lib) is handed out as that view.
MODULES: dict[str, tuple[str, ...]] = {
    "numpy": NUMPY,
    "numpy.lib": NUMPY_LIB,
    "numpy.lib.stride_tricks": NUMPY_STRIDE_TRICKS,
    "numpy.linalg": NUMPY_LINALG,
    "pandas": PANDAS,
    "pandas.offsets": PANDAS_OFFSETS,
    "math": MATH,
    "datetime": DATETIME,
    "statistics": STATISTICS,
    "talib": TALIB_EXTRAS,  # plus the functions
}
# Where a dotted path's object really lives, when that is not the path itself (`pd.offsets` is a module of
# pandas.tseries); only for reading the real objects when the views are built.
REAL_MODULE = {"pandas.offsets": "pandas.tseries.offsets"}


def importable(path: str) -> bool:
    """Whether `import path` (or `from path import ...`) is allowed: the path has a view."""
    return path in MODULES


def exposes(path: str, name: str) -> bool:
    """Whether the view of module `path` has attribute `name` (TA-Lib functions: any upper-case name)."""
    if path == "talib" and name.isupper():
        return True
    return name in MODULES.get(path, ())
