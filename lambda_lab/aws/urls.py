"""The Lambda URL routes, as moto's, dispatched to :class:`~lambda_lab.aws.responses.LabResponse`.

moto finds this module through :attr:`LabLambdaBackend._url_module`, in the decorator mock and
in the threaded server alike.
"""

from moto.awslambda.urls import url_bases as _moto_bases
from moto.awslambda.urls import url_paths as _moto_paths

from ..fronts.function_url_api import URL_PATHS as _url_config_paths
from .async_api import URL_PATHS as _async_paths
from .concurrency_api import URL_PATHS as _concurrency_paths
from .responses import LabResponse

url_bases = list(_moto_bases)
url_paths = dict.fromkeys([*_moto_paths, *_concurrency_paths, *_async_paths,
                                *_url_config_paths], LabResponse.dispatch)
