"""Renders Markdown read on stdin to HTML on stdout with GitHub's own cmark-gfm (PyPI cmarkgfm),
GitHub-flavoured extensions on and raw HTML passed through, so a test sees what a review would show."""
import sys

import cmarkgfm
from cmarkgfm.cmark import Options

text = sys.stdin.buffer.read().decode("utf-8")
sys.stdout.write(cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE))
