"""Pagination of the API's lists: ``?limit=&offset=``, at most 500 items a page."""

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """LimitOffsetPagination with a ceiling on ``limit`` (default page: PAGE_SIZE)."""

    max_limit = 500
