"""ocirt: command line and pyinfra front ends over the runtime library."""
