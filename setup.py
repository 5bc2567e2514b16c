"""What pyproject.toml cannot say: the top-level `configs/` folder ships inside the package.

`configs/` stays where people edit it; wheels and the eggs `scrapyd-deploy` builds (it runs
`setup.py bdist_egg`, and would write a setup.py of its own without this one) carry it as
`pipeline/_configs/`, where `pipeline.config` finds it without a working directory. Metadata,
dependencies and entry points are in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

CONFIGS = "pipeline._configs"

setup(
    packages=[
        *find_packages(include=["pipeline", "pipeline.*", "spiders", "spiders.*"]),
        CONFIGS,
        *(f"{CONFIGS}.{name}" for name in find_namespace_packages(where="configs")),
    ],
    package_dir={CONFIGS: "configs"},
    package_data={"pipeline": ["py.typed", "report/templates/*.j2", "extract/models/*.npz"], CONFIGS: ["**/*.yaml"]},
)
