"""dipsample: dip-sample school behaviour policies against national guidance in England.

The library API a notebook can use::

    from toolkit import extract, check_file, load_checklist
    doc = extract("policy.pdf")
    result = check_file("policy.pdf", checklist=load_checklist())
"""

__version__ = "0.1.0"

from toolkit.extract import extract  # noqa: E402
from toolkit.checklist import load_checklist  # noqa: E402
from toolkit.pipeline import check_file  # noqa: E402

__all__ = ["__version__", "extract", "load_checklist", "check_file"]
