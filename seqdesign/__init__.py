"""seqdesign: design biological sequences with ensemble proxies and GFlowNets."""

__version__ = "0.1.0"
