"""The HTML site's contents as one script (`toc.js`), fetched once and shared by every page.

A chapter page does not list every chapter itself (n chapters on each of n pages would make the
site quadratic, and a retitled chapter would rewrite every page): its navigation has a link to
the contents on index.html, links to the previous and next chapters, and an empty list that
`toc.js` fills in with every chapter, marking the current one. Without JavaScript (or in the
studio, whose preview runs no script) the links still work. A title edit rewrites `toc.js`,
the edited page and its neighbours only. As mdBook's `toc.js`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .context import Chapter

__all__ = ["CONTENTS_SCRIPT", "contents_script"]

CONTENTS_SCRIPT = "toc.js"  # beside the pages, so the same relative URL works on every page

_SCRIPT = """\
/* The book's contents, shared by every chapter page (written by bookbuild). */
(function () {
  "use strict";
  var chapters = %s;
  var here = decodeURIComponent(location.pathname.split("/").pop() || "index.html");
  var lists = document.querySelectorAll("ol[data-contents]");
  for (var i = 0; i < lists.length; i++) {
    for (var j = 0; j < chapters.length; j++) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = chapters[j][0];
      link.textContent = chapters[j][1];
      if (chapters[j][0] === here) link.setAttribute("aria-current", "page");
      item.appendChild(link);
      lists[i].appendChild(item);
    }
    lists[i].hidden = false;
  }
})();
"""


def contents_script(chapters: Sequence[Chapter]) -> bytes:
    """toc.js: every chapter's page and title (as text: the script never writes HTML)."""
    entries = [[chapter.page, chapter.title] for chapter in chapters]
    data = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        data = data.replace(raw, escaped)
    return (_SCRIPT % data).encode("utf-8")
