import requests
import yaml
from concurrent.futures import ThreadPoolExecutor

# The old script: fetch every selected route and write the 15 newest items.
def work(url):
    requests_url = 'RSSHUB_BASE' + url['link']
    r = requests.get(requests_url, timeout=30)
    return r.text
