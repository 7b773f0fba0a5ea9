#!/usr/bin/python3
"""The old system's per-item work, as a reference for bench/pipeline.

This is not the old script: it is the work that script did for each item,
written from its description (issue 19 and shared/format/README.md), so that
feedmill's pipeline can be timed against it on the same feeds:

  parse the feed with BeautifulSoup(doc, 'html.parser'), find_all('item');
  the title rule  [:/\\?*“”<>|\[\]] -> _ ;
  the first <img> of the description (a second html.parser pass);
  the post template of shared/format, with { and } escaped as &#123; &#125;;
  one file per item, <out>/<group>/<source>/<channel>/<title>.md.

Usage: oldsystem.py OUT GROUP LIST
LIST is a file of lines "source<TAB>channel<TAB>feed path".
Needs Debian's python3-bs4.
"""
import os
import random
import re
import sys
import warnings

from bs4 import BeautifulSoup

# html.parser over XML is what the old system did; bs4 warns about it.
warnings.filterwarnings('ignore', module='bs4')

TITLE_RULE = re.compile(r'[:/\\?*“”<>|\[\]]')
NAME_RULE = re.compile(r'[\r\n#.]')


def post(title, group, source, channel, image, date, body):
    quote = '"' if "'" in title else "'"
    text = ("\n---\ntitle: " + quote + title + quote +
            "\ncategories: \n - " + group + "\n - " + source + "\n - " + channel +
            "\nheadimg: '" + image + "'\nauthor: " + source +
            "\ncomments: false\ndate: " + date +
            "\nthumbnail: '" + image + "'\n---\n\n<div>   \n" + body +
            "  \n</div>\n" + " " * 12)
    return text.replace('{', '&#123;').replace('}', '&#125;')


def main():
    out, group, listing = sys.argv[1], sys.argv[2], sys.argv[3]
    rng = random.Random(1)
    with open(listing, encoding='utf-8') as f:
        jobs = [line.rstrip('\n').split('\t') for line in f if line.strip()]
    for source, channel, path in jobs:
        with open(path, encoding='utf-8') as f:
            doc = BeautifulSoup(f.read(), 'html.parser')
        folder = os.path.join(out, group, source, channel)
        os.makedirs(folder, exist_ok=True)
        for item in doc.find_all('item'):
            title = TITLE_RULE.sub('_', item.find('title').get_text())
            body = item.find('description').get_text()
            date_tag = item.find('pubdate')
            date = date_tag.get_text() if date_tag else 'Invalid Date'
            img = BeautifulSoup(body, 'html.parser').find('img')
            if img is not None and img.get('src'):
                image = img['src']
            else:
                image = 'https://picsum.photos/400/300?random=%d' % rng.randint(0, 10000)
            name = NAME_RULE.sub('', title) + '.md'
            with open(os.path.join(folder, name), 'w', encoding='utf-8') as f:
                f.write(post(title, group, source, channel, image, date, body))


if __name__ == '__main__':
    main()
