-- HomeRack models: the schema as it should be (docs/models.md).
--
-- Edit this file, then `hrctl revision --autogenerate -m "what changed"`
-- writes the migration that gets there, proved on scratch databases;
-- `hrctl check` says whether models and migrations agree.
--
-- SQL before any marker is for every dialect; `-- +sqlite` and
-- `-- +postgresql` open dialect-only sections, `-- +all` goes back to
-- every dialect. Enums are CHECK-constrained VARCHARs on SQLite and
-- native ENUM types on PostgreSQL, as SQLAlchemy maps them.

-- +sqlite
CREATE TABLE device_specifications (
    id INTEGER NOT NULL,
    brand VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    variant VARCHAR,
    height_u FLOAT NOT NULL,
    width_type VARCHAR(3),
    depth_mm FLOAT,
    weight_kg FLOAT,
    power_watts FLOAT,
    heat_output_btu FLOAT,
    typical_ports JSON,
    mounting_type VARCHAR,
    source VARCHAR(17) DEFAULT 'user_custom',
    source_url VARCHAR,
    confidence VARCHAR(6) DEFAULT 'medium',
    fetched_at DATETIME,
    last_updated DATETIME,
    PRIMARY KEY (id),
    CONSTRAINT widthtype CHECK (width_type IN ('11"', '18"', '19"', '23"')),
    CONSTRAINT sourcetype CHECK (source IN ('web_fetched', 'manufacturer_spec', 'community', 'user_custom')),
    CONSTRAINT confidencelevel CHECK (confidence IN ('high', 'medium', 'low'))
);

CREATE TABLE devices (
    id INTEGER NOT NULL,
    custom_name VARCHAR NOT NULL,
    specification_id INTEGER NOT NULL,
    brand VARCHAR,
    model VARCHAR,
    access_frequency VARCHAR(6) DEFAULT 'medium',
    notes VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY (specification_id) REFERENCES device_specifications (id),
    CONSTRAINT accessfrequency CHECK (access_frequency IN ('low', 'medium', 'high'))
);

CREATE TABLE racks (
    id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    location VARCHAR,
    total_height_u INTEGER DEFAULT 42,
    width_inches VARCHAR(3) DEFAULT '19"',
    depth_mm FLOAT DEFAULT 700,
    max_weight_kg FLOAT DEFAULT 500,
    max_power_watts FLOAT DEFAULT 5000,
    cooling_type VARCHAR DEFAULT 'front-to-back',
    PRIMARY KEY (id),
    CONSTRAINT widthtype CHECK (width_inches IN ('11"', '18"', '19"', '23"'))
);

CREATE TABLE rack_positions (
    id INTEGER NOT NULL,
    device_id INTEGER NOT NULL,
    rack_id INTEGER NOT NULL,
    start_u INTEGER NOT NULL,
    locked BOOLEAN DEFAULT 0,
    PRIMARY KEY (id),
    FOREIGN KEY (device_id) REFERENCES devices (id),
    FOREIGN KEY (rack_id) REFERENCES racks (id)
);

CREATE TABLE connections (
    id INTEGER NOT NULL,
    from_device_id INTEGER NOT NULL,
    to_device_id INTEGER NOT NULL,
    from_port VARCHAR,
    to_port VARCHAR,
    cable_type VARCHAR(8) DEFAULT 'Cat6',
    cable_category_required VARCHAR,
    calculated_length_m FLOAT,
    routing_path VARCHAR(10) DEFAULT 'direct',
    PRIMARY KEY (id),
    FOREIGN KEY (from_device_id) REFERENCES devices (id),
    FOREIGN KEY (to_device_id) REFERENCES devices (id),
    CONSTRAINT cabletype CHECK (cable_type IN ('Cat5e', 'Cat6', 'Cat6a', 'Cat7', 'Fiber-SM', 'Fiber-MM', 'Power', 'Console')),
    CONSTRAINT routingpath CHECK (routing_path IN ('direct', 'cable_tray', 'conduit'))
);

-- +postgresql
CREATE TYPE widthtype AS ENUM ('11"', '18"', '19"', '23"');
CREATE TYPE sourcetype AS ENUM ('web_fetched', 'manufacturer_spec', 'community', 'user_custom');
CREATE TYPE confidencelevel AS ENUM ('high', 'medium', 'low');
CREATE TYPE accessfrequency AS ENUM ('low', 'medium', 'high');
CREATE TYPE cabletype AS ENUM ('Cat5e', 'Cat6', 'Cat6a', 'Cat7', 'Fiber-SM', 'Fiber-MM', 'Power', 'Console');
CREATE TYPE routingpath AS ENUM ('direct', 'cable_tray', 'conduit');

CREATE TABLE device_specifications (
    id SERIAL NOT NULL,
    brand VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    variant VARCHAR,
    height_u FLOAT NOT NULL,
    width_type widthtype,
    depth_mm FLOAT,
    weight_kg FLOAT,
    power_watts FLOAT,
    heat_output_btu FLOAT,
    typical_ports JSON,
    mounting_type VARCHAR,
    source sourcetype DEFAULT 'user_custom',
    source_url VARCHAR,
    confidence confidencelevel DEFAULT 'medium',
    fetched_at TIMESTAMP WITHOUT TIME ZONE,
    last_updated TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id)
);

CREATE TABLE devices (
    id SERIAL NOT NULL,
    custom_name VARCHAR NOT NULL,
    specification_id INTEGER NOT NULL,
    brand VARCHAR,
    model VARCHAR,
    access_frequency accessfrequency DEFAULT 'medium',
    notes VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY (specification_id) REFERENCES device_specifications (id)
);

CREATE TABLE racks (
    id SERIAL NOT NULL,
    name VARCHAR NOT NULL,
    location VARCHAR,
    total_height_u INTEGER DEFAULT 42,
    width_inches widthtype DEFAULT '19"',
    depth_mm FLOAT DEFAULT 700,
    max_weight_kg FLOAT DEFAULT 500,
    max_power_watts FLOAT DEFAULT 5000,
    cooling_type VARCHAR DEFAULT 'front-to-back',
    PRIMARY KEY (id)
);

CREATE TABLE rack_positions (
    id SERIAL NOT NULL,
    device_id INTEGER NOT NULL,
    rack_id INTEGER NOT NULL,
    start_u INTEGER NOT NULL,
    locked BOOLEAN DEFAULT false,
    PRIMARY KEY (id),
    FOREIGN KEY (device_id) REFERENCES devices (id),
    FOREIGN KEY (rack_id) REFERENCES racks (id)
);

CREATE TABLE connections (
    id SERIAL NOT NULL,
    from_device_id INTEGER NOT NULL,
    to_device_id INTEGER NOT NULL,
    from_port VARCHAR,
    to_port VARCHAR,
    cable_type cabletype DEFAULT 'Cat6',
    cable_category_required VARCHAR,
    calculated_length_m FLOAT,
    routing_path routingpath DEFAULT 'direct',
    PRIMARY KEY (id),
    FOREIGN KEY (from_device_id) REFERENCES devices (id),
    FOREIGN KEY (to_device_id) REFERENCES devices (id)
);

-- +all
CREATE INDEX ix_device_specifications_id ON device_specifications (id);
CREATE INDEX ix_device_specifications_brand ON device_specifications (brand);
CREATE INDEX ix_device_specifications_model ON device_specifications (model);
CREATE INDEX ix_devices_id ON devices (id);
CREATE INDEX ix_devices_brand ON devices (brand);
CREATE INDEX ix_devices_model ON devices (model);
CREATE INDEX ix_racks_id ON racks (id);
CREATE INDEX ix_rack_positions_id ON rack_positions (id);
CREATE INDEX ix_connections_id ON connections (id);

