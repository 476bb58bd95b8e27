from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache  # the reference is a render through the whole middleware stack, never a cache hit
def bare(request):
    """A static ~20 KB template, no database: the stack's practical ceiling, what every page is measured against."""
    return render(request, "benchmarks/bare.html")
