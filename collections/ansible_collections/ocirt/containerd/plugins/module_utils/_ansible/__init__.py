"""The Ansible glue: the only package that imports ``ansible.*``.

It turns module parameters into the library's desired state and the library's plans and
errors into module results; the runtime library under it works without Ansible.
"""
