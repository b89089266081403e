"""nianbao: turn a 政府信息公开工作年度报告 PDF into a validated record (schema nianbao/1)."""

__version__ = "0.1.0"
