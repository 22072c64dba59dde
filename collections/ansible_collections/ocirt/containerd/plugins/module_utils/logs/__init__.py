"""Container logs like docker's json-file: the log driver containerd's shim runs for a
``binary://`` log URI (``driver.py``, one standard-library file that is also installed as a
script), where it is installed and how its URI is built (``install.py``), and the times
``--since``/``--until`` accept (``times.py``). Reading the files is ``containers/logs.py``.
"""
