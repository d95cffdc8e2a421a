"""What the tests share, and no tests: the central server in a thread or a child process, kiosk
devices in a folder of their own, clocks, child processes and the headless Kivy harness."""
