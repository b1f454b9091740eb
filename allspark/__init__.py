"""Local stand-in for EAS's ``allspark`` processor SDK, shipped by eas-client so a processor file
written for EAS runs unchanged: ``python app.py`` serves it on 127.0.0.1:8080."""

from eas_client.server.allspark import BaseProcessor, default_properties, get_model_path

__all__ = ["BaseProcessor", "default_properties", "get_model_path"]
