"""The README as the docs site's guide (Markdown, read by myst-parser): a link to a module's or role's source goes to
its page of the site, a link to another file of the repository becomes the file's path (the repository is not
published yet, so no URL would work); links to web pages and anchors stay.  Usage: guide_from_readme.py README out"""
import re
import sys

LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def target(match):
    image, text, href = match.groups()
    if re.match(r"[a-z]+:|#", href):
        return match.group(0)
    module = re.fullmatch(r"plugins/modules/(\w+)\.py", href)
    role = re.fullmatch(r"roles/(\w+)/README\.md", href)
    if module:
        return "[%s](collections/aigateway/foundry/%s_module.rst)" % (text, module.group(1))
    if role:
        return "[%s](collections/aigateway/foundry/%s_role.rst)" % (text, role.group(1))
    return "%s (`%s`)" % (text, href) if text and text.strip("`") != href else "`%s`" % href


def main(readme, out):
    with open(readme, encoding="utf-8") as source:
        text = LINK.sub(target, source.read())
    with open(out, "w", encoding="utf-8") as guide:
        guide.write(text)


if __name__ == "__main__":
    main(*sys.argv[1:3])
