# ruff: noqa
# fmt: off
# ok: confide-fastapi-below-api
from fastapi import FastAPI

# ok: confide-fastapi-below-api
from starlette.middleware.cors import CORSMiddleware

app = FastAPI()
