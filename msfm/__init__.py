"""MSFM: the Multi-Scale Fusion Module and its mmdet plugin wiring.

Import ``msfm.layer`` (mmdet's ``custom_imports``) to register the ``MSFM`` plugin.
"""
