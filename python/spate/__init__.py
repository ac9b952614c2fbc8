"""spate: Flink's programming model on a native runtime, for Python.

The modules follow PyFlink's layout (``spate.datastream``, ``spate.common``),
so a PyFlink script changes its imports from ``pyflink`` to ``spate``. Python
functions run inside the spate process; records and state hold pickled
Python values.
"""

__version__ = "0.1.0"
