-- One database per server: the catalog and each connector keep separate state.
CREATE DATABASE catalog;
CREATE DATABASE toolmaker;
CREATE DATABASE printshop;
