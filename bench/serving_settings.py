"""Settings of the serving benchmark: the product's settings with the benchmark's URLconf.

Only ``bench/serving.py`` uses this module; the bare views it adds are not in the product.
"""

from dane_admin.settings import *  # noqa: F403

ROOT_URLCONF = "bench.serving_urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405 - the in-process query counts
