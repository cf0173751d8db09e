"""OCR for scanned pages and images, with Tesseract when it is installed (Debian: tesseract-ocr).

Without it, callers mark what they could not read ("needs OCR") instead of guessing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import lru_cache

OCR_DPI = 300
OCR_TIMEOUT_S = 120
OCR_ENV = "DIPSAMPLE_NO_OCR"  # set to 1 to behave as if Tesseract were not installed
# One thread: Tesseract's OpenMP threads make one page about 4x slower on a busy 2-core machine.
_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


@lru_cache(maxsize=1)
def _tesseract() -> str | None:
    return shutil.which("tesseract")


def available() -> bool:
    return not os.environ.get(OCR_ENV) and _tesseract() is not None


def ocr_png(png: bytes) -> str:
    """Text of one image (PNG bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "page.png")
        with open(path, "wb") as fh:
            fh.write(png)
        proc = subprocess.run([_tesseract(), path, "stdout", "-l", "eng", "--psm", "3"], env=_ENV,
                              capture_output=True, timeout=OCR_TIMEOUT_S, check=False)
    return proc.stdout.decode("utf-8", "replace")


def ocr_pdf_page(data: bytes, index: int) -> str:
    """Render one PDF page (0-based) and read it with Tesseract."""
    import io

    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        image = pdf[index].render(scale=OCR_DPI / 72).to_pil()
        buf = io.BytesIO()
        image.convert("L").save(buf, format="PNG")
    finally:
        pdf.close()
    return ocr_png(buf.getvalue())
