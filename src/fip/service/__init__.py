"""The FIP web service (``fip serve``): a Django project over the fip library.

Caseworkers find or create a citizen by CPR number (pseudonymised at once with the store's
keyed hash), enter the citizen form and the caseworker form, and see the FIP star and the
job chance from the deployed model. The service's tables are the FIP dataset layout
(municipalities, caseworkers, persons, forms, outcomes), so :func:`fip.service.data.service_dataset`
gives the :class:`fip.data.Dataset` every library function reads.

Configuration is by environment variables (see :mod:`fip.service.settings`); the optional
dependencies are installed with ``pip install -e ".[service]"``.
"""
