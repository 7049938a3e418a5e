from lambda_lab.course.chapters.ch06_versions_aliases_layers.helpers import layer_zip


def shared_layer(library):
    """The keyword arguments of lam.publish_layer_version (all but LayerName) for a layer holding
    `library` ({path in your project: content}) that a python3.12 function can import."""
    # Lambda extracts a layer into /opt; the Python runtime puts /opt/python (and
    # /opt/python/lib/python3.12/site-packages) on sys.path, so the library goes under python/.
    files = {f"python/{path}": content for path, content in library.items()}
    return {
        "Content": {"ZipFile": layer_zip(files)},
        # Not enforced when the layer is attached, but ListLayerVersions(CompatibleRuntime=...)
        # and the console's list of layers only show the layers that name the runtime.
        "CompatibleRuntimes": ["python3.12"],
    }
