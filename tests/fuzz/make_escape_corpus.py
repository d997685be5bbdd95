#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/escape/: seeds for fuzz_escape (a width byte, then a string) with
the kinds of text escape.h promises to neutralise: markup, formulas, quotes and separators,
control characters, C1 and bidi overrides, wide and invalid UTF-8.
usage: python3 tests/fuzz/make_escape_corpus.py"""
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "escape")
SEEDS = {
    "plain": (20, b"www.example.com"),
    "html": (10, b"<script>alert('x')</script>&amp;\"q\""),
    "csv-formula": (8, b"=HYPERLINK(\"http://x\",\"y\")"),
    "csv-quote": (12, b" a,b\"c\r\nd "),
    "md": (6, b"a|b*c_d`e[f](g)\\h\nnext"),
    "control": (5, b"ok\x1b[31mred\x07\x7fend\x01"),
    "c1-bidi": (9, "x\u0085y\u202eevil\u2066z\u2028".encode()),
    "wide": (7, "例え.テスト😀".encode()),
    "bad-utf8": (4, b"\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82\xff"),
    "cut": (3, "ab€".encode()[:-1]),
    "empty": (0, b""),
}
os.makedirs(OUT, exist_ok=True)
for name, (width, s) in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([width]) + s)
print("wrote %d seeds to %s" % (len(SEEDS), OUT))
