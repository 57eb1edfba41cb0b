"""HomeRack's five tables as the application's SQLAlchemy models."""
from sqlalchemy import (JSON, Boolean, Column, DateTime, Enum, Float,
                        ForeignKey, Integer, String)

from .database import Base

WIDTHS = ('11"', '18"', '19"', '23"')


def enum(*values, name):
    # A CHECK constraint on SQLite, a native type on PostgreSQL.
    return Enum(*values, name=name, create_constraint=True)


class DeviceSpecification(Base):
    __tablename__ = "device_specifications"
    id = Column(Integer, primary_key=True, index=True)
    brand = Column(String, nullable=False, index=True)
    model = Column(String, nullable=False, index=True)
    variant = Column(String)
    height_u = Column(Float, nullable=False)
    width_type = Column(enum(*WIDTHS, name="widthtype"))
    depth_mm = Column(Float)
    weight_kg = Column(Float)
    power_watts = Column(Float)
    heat_output_btu = Column(Float)
    typical_ports = Column(JSON)
    mounting_type = Column(String)
    source = Column(enum("web_fetched", "manufacturer_spec", "community",
                         "user_custom", name="sourcetype"),
                    server_default="user_custom")
    source_url = Column(String)
    confidence = Column(enum("high", "medium", "low", name="confidencelevel"),
                        server_default="medium")
    fetched_at = Column(DateTime)
    last_updated = Column(DateTime)


class Device(Base):
    __tablename__ = "devices"
    id = Column(Integer, primary_key=True, index=True)
    custom_name = Column(String, nullable=False)
    specification_id = Column(Integer, ForeignKey("device_specifications.id"),
                              nullable=False)
    brand = Column(String, index=True)
    model = Column(String, index=True)
    access_frequency = Column(enum("low", "medium", "high",
                                   name="accessfrequency"),
                              server_default="medium")
    notes = Column(String)


class Rack(Base):
    __tablename__ = "racks"
    id = Column(Integer, primary_key=True, index=True)
    name = Column(String, nullable=False)
    location = Column(String)
    total_height_u = Column(Integer, server_default="42")
    width_inches = Column(enum(*WIDTHS, name="widthtype"),
                          server_default='19"')
    depth_mm = Column(Float, server_default="700")
    max_weight_kg = Column(Float, server_default="500")
    max_power_watts = Column(Float, server_default="5000")
    cooling_type = Column(String, server_default="front-to-back")


class RackPosition(Base):
    __tablename__ = "rack_positions"
    id = Column(Integer, primary_key=True, index=True)
    device_id = Column(Integer, ForeignKey("devices.id"), nullable=False)
    rack_id = Column(Integer, ForeignKey("racks.id"), nullable=False)
    start_u = Column(Integer, nullable=False)
    locked = Column(Boolean, server_default="0")


class Connection(Base):
    __tablename__ = "connections"
    id = Column(Integer, primary_key=True, index=True)
    from_device_id = Column(Integer, ForeignKey("devices.id"), nullable=False)
    to_device_id = Column(Integer, ForeignKey("devices.id"), nullable=False)
    from_port = Column(String)
    to_port = Column(String)
    cable_type = Column(enum("Cat5e", "Cat6", "Cat6a", "Cat7", "Fiber-SM",
                             "Fiber-MM", "Power", "Console", name="cabletype"),
                        server_default="Cat6")
    cable_category_required = Column(String)
    calculated_length_m = Column(Float)
    routing_path = Column(enum("direct", "cable_tray", "conduit",
                               name="routingpath"),
                          server_default="direct")
