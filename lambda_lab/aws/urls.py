"""The Lambda URL routes: every path of Lambda's host goes to
:class:`~lambda_lab.aws.responses.LabResponse`, which maps it to exactly its AWS operation
(:mod:`lambda_lab.aws.operations`) or answers AWS's error; moto's own route list would let a
path it lacks fall to an HTML 404 and treat a path's last label as greedy.

moto finds this module through :attr:`LabLambdaBackend._url_module`, in the decorator mock and
in the threaded server alike.
"""

from moto.awslambda.urls import url_bases as _moto_bases

from .responses import LabResponse

url_bases = list(_moto_bases)
# Any path, even one holding a newline (werkzeug's "path" converter stops at one).
url_paths = {"{0}/$": LabResponse.dispatch, r"{0}/(?P<route>[\s\S]+)": LabResponse.dispatch}
